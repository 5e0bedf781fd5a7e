using NodaTime;
using PayConnect.Notifications;

namespace PayConnect.Tests.Notifications;

public class FailedAutoPayEmailTests
{
    private static readonly Uri Portal = new("https://portal.example.test/");
    private static readonly EmailAddress Staff = new("oncall@firm.test", "On Call");

    private static FailedAutoPayDetails Details() => new()
    {
        FirmName = "Smith & Jones LLP",
        PayerName = "Jane Doe",
        ScheduleId = "sch-42",
        ScheduleName = "Monthly retainer",
        RunDate = new LocalDate(2026, 3, 1),
        AmountAttempted = new Money(125_000, "USD"),
        FailureReason = "Card declined: insufficient funds",
        PaymentMethodLabel = "Visa",
        PaymentMethodLast4 = "4242",
    };

    private static EmailMessage Compose(FailedAutoPayDetails details) =>
        FailedAutoPayEmail.Compose("ntf-1", [Staff], details, Portal);

    [Fact]
    public void Compose_SubjectNamesSchedulePayerAndIsoRunDate()
    {
        var email = Compose(Details());

        Assert.Equal("Error-Failed AutoPay: Monthly retainer for Jane Doe on 2026-03-01", email.Subject);
        Assert.Equal("ntf-1", email.MessageId);
        Assert.Equal([Staff], email.To);
    }

    [Fact]
    public void Compose_PlainTextCarriesEveryFactAndTheLink()
    {
        var text = Compose(Details()).PlainText;

        Assert.Contains("Smith & Jones LLP", text);
        Assert.Contains("Jane Doe", text);
        Assert.Contains("Monthly retainer", text);
        Assert.Contains("2026-03-01 (Sunday, March 1, 2026)", text);
        Assert.Contains("1250.00 USD", text);
        Assert.Contains("Visa ending in 4242", text);
        Assert.Contains("Card declined: insufficient funds", text);
        Assert.Contains("https://portal.example.test/autopay/schedules/sch-42/runs/2026-03-01", text);
    }

    [Fact]
    public void Compose_HtmlCarriesTheSameFactsEncoded()
    {
        var html = Compose(Details()).Html;

        Assert.Contains("Smith &amp; Jones LLP", html);
        Assert.Contains("2026-03-01 (Sunday, March 1, 2026)", html);
        Assert.Contains("1250.00 USD", html);
        Assert.Contains("href=\"https://portal.example.test/autopay/schedules/sch-42/runs/2026-03-01\"", html);
    }

    [Fact]
    public void Compose_ScriptInPayerName_IsEscapedInHtml()
    {
        var email = Compose(Details() with { PayerName = "<script>alert('x')</script>", FailureReason = "\"bad\" <b>reason</b>" });

        Assert.DoesNotContain("<script>", email.Html);
        Assert.DoesNotContain("<b>reason", email.Html);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", email.Html);
        Assert.Contains("&quot;bad&quot; &lt;b&gt;reason&lt;/b&gt;", email.Html);
    }

    [Fact]
    public void Compose_LineBreakInScheduleName_DoesNotBreakTheSubject()
    {
        var email = Compose(Details() with { ScheduleName = "Retainer\r\nBcc: evil@example.test" });

        Assert.DoesNotContain('\n', email.Subject);
        Assert.DoesNotContain('\r', email.Subject);
    }

    [Fact]
    public void Compose_AmountUsesTheCurrencyExponent()
    {
        Assert.Contains("5000 JPY", Compose(Details() with { AmountAttempted = new Money(5000, "JPY") }).PlainText);
        Assert.Contains("1.250 KWD", Compose(Details() with { AmountAttempted = new Money(1250, "KWD") }).PlainText);
    }

    [Fact]
    public void Compose_WithoutAmount_SaysNoneWasAllocated()
    {
        var text = Compose(Details() with { AmountAttempted = null, FailureReason = "MMS unreachable" }).PlainText;

        Assert.Contains("Amount attempted:", text);
        Assert.Contains("none (the run failed before an amount was allocated)", text);
    }

    [Fact]
    public void Compose_WithoutPaymentMethod_LeavesTheRowOut()
    {
        var text = Compose(Details() with { PaymentMethodLabel = null, PaymentMethodLast4 = null }).PlainText;

        Assert.DoesNotContain("Payment method", text);
    }

    [Theory]
    [InlineData("4242424242424242")]
    [InlineData("42a2")]
    [InlineData("424")]
    public void Compose_MoreThanLastFourDigits_IsRefused(string last4)
    {
        Assert.Throws<ArgumentException>(() => Compose(Details() with { PaymentMethodLast4 = last4 }));
    }

    [Fact]
    public void Compose_IsDeterministic()
    {
        var a = Compose(Details());
        var b = Compose(Details());

        Assert.Equal(a.Subject, b.Subject);
        Assert.Equal(a.PlainText, b.PlainText);
        Assert.Equal(a.Html, b.Html);
    }

    [Theory]
    [InlineData("https://portal.example.test", "https://portal.example.test/autopay/schedules/a%2Fb%20c/runs/2026-03-01")]
    [InlineData("https://portal.example.test/app/", "https://portal.example.test/app/autopay/schedules/a%2Fb%20c/runs/2026-03-01")]
    public void RunPageUrl_JoinsBaseAndEscapedIds(string baseUrl, string expected)
    {
        var url = FailedAutoPayEmail.RunPageUrl(new Uri(baseUrl), "a/b c", new LocalDate(2026, 3, 1));

        Assert.Equal(expected, url.AbsoluteUri);
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://user:secret@portal.example.test/")]
    [InlineData("https://portal.example.test/?token=abc")]
    public void RunPageUrl_RefusesUnsafeBaseUrls(string baseUrl)
    {
        Assert.Throws<ArgumentException>(() => FailedAutoPayEmail.RunPageUrl(new Uri(baseUrl), "sch", new LocalDate(2026, 3, 1)));
    }

    [Theory]
    [InlineData(2026, 3, 1, "2026-03-01 (Sunday, March 1, 2026)")]
    [InlineData(2028, 2, 29, "2028-02-29 (Tuesday, February 29, 2028)")]
    public void FormatRunDate_IsIsoWithSpelledOutDay(int y, int m, int d, string expected)
    {
        Assert.Equal(expected, FailedAutoPayEmail.FormatRunDate(new LocalDate(y, m, d)));
    }
}
