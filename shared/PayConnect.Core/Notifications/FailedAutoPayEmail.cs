using System.Net;
using System.Text;
using NodaTime;
using NodaTime.Text;

namespace PayConnect.Notifications;

/// <summary>What the Error-Failed AutoPay email says about one failed run. Display data only: no tokens, no card data.</summary>
public sealed record FailedAutoPayDetails
{
    public required string FirmName { get; init; }

    public required string PayerName { get; init; }

    public required string ScheduleId { get; init; }

    public required string ScheduleName { get; init; }

    /// <summary>The run's due date in the firm's time zone.</summary>
    public required LocalDate RunDate { get; init; }

    /// <summary>The amount the run tried to charge; null when it failed before an amount was allocated (e.g. MMS unreachable).</summary>
    public Money? AmountAttempted { get; init; }

    /// <summary>The card surcharge included in the amount attempted (its own line; never an invoice's money), when there is one.</summary>
    public Money? Surcharge { get; init; }

    /// <summary>Human-readable reason, e.g. "Card declined: insufficient funds". Must not contain secrets.</summary>
    public required string FailureReason { get; init; }

    /// <summary>Every attempt and what held the run up, oldest first, one line each (e.g. "2026-03-02 09:00 — attempt 1 declined: insufficient funds").</summary>
    public IReadOnlyList<string> Attempts { get; init; } = [];

    /// <summary>Brand or bank name of the payment method, e.g. "Visa"; optional.</summary>
    public string? PaymentMethodLabel { get; init; }

    /// <summary>Last four digits of the payment method; optional, exactly four digits when set.</summary>
    public string? PaymentMethodLast4 { get; init; }
}

/// <summary>Composes the Error-Failed AutoPay notification (SPEC §2 step 6). Pure: same input, same email.</summary>
public static class FailedAutoPayEmail
{
    private static readonly LocalDatePattern IsoDate = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");
    private static readonly LocalDatePattern LongDate = LocalDatePattern.CreateWithInvariantCulture("dddd, MMMM d, uuuu");

    /// <summary>Builds the email for one recipient. <paramref name="messageId"/> is the outbox's notification id.</summary>
    public static EmailMessage Compose(string messageId, IReadOnlyList<EmailAddress> to, FailedAutoPayDetails details, Uri portalBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(details);
        Validate(details);
        var link = RunPageUrl(portalBaseUrl, details.ScheduleId, details.RunDate);

        var subject = $"Error-Failed AutoPay: {EmailLayout.OneLine(details.ScheduleName)} for {EmailLayout.OneLine(details.PayerName)} on {IsoDate.Format(details.RunDate)}";
        var intro = $"An Auto-Pay run for {details.FirmName} failed.";
        return new EmailMessage(messageId, to, subject,
            EmailLayout.PlainText(intro, Rows(details), "Review the run in PayConnect", link),
            EmailLayout.Html("Error-Failed AutoPay", intro, Rows(details), "Review the run in PayConnect", link));
    }

    /// <summary>
    /// The portal page of one run: <c>{base}/autopay/schedules/{scheduleId}/runs/{yyyy-MM-dd}</c>. Ids and the date
    /// only; the firm comes from the signed-in user, so nothing in the link grants or reveals anything by itself.
    /// </summary>
    public static Uri RunPageUrl(Uri portalBaseUrl, string scheduleId, LocalDate runDate)
    {
        ArgumentNullException.ThrowIfNull(portalBaseUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(scheduleId);
        if (!portalBaseUrl.IsAbsoluteUri
            || (portalBaseUrl.Scheme != Uri.UriSchemeHttps && portalBaseUrl.Scheme != Uri.UriSchemeHttp)
            || portalBaseUrl.UserInfo.Length > 0
            || portalBaseUrl.Query.Length > 0
            || portalBaseUrl.Fragment.Length > 0)
        {
            throw new ArgumentException("The portal base URL must be an absolute http(s) URL without credentials, query or fragment.", nameof(portalBaseUrl));
        }

        var root = portalBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri($"{root}/autopay/schedules/{Uri.EscapeDataString(scheduleId)}/runs/{IsoDate.Format(runDate)}");
    }

    /// <summary>A date nobody can misread across locales: <c>2026-03-01 (Sunday, March 1, 2026)</c>.</summary>
    public static string FormatRunDate(LocalDate date) => $"{IsoDate.Format(date)} ({LongDate.Format(date)})";

    private static void Validate(FailedAutoPayDetails d)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(d.FirmName, nameof(d.FirmName));
        ArgumentException.ThrowIfNullOrWhiteSpace(d.PayerName, nameof(d.PayerName));
        ArgumentException.ThrowIfNullOrWhiteSpace(d.ScheduleName, nameof(d.ScheduleName));
        ArgumentException.ThrowIfNullOrWhiteSpace(d.FailureReason, nameof(d.FailureReason));

        // Guard against a caller handing over more than display data (a full card number, a token).
        if (d.PaymentMethodLast4 is not null && (d.PaymentMethodLast4.Length != 4 || !d.PaymentMethodLast4.All(char.IsAsciiDigit)))
        {
            throw new ArgumentException("Only the last four digits of a payment method may appear in an email.", nameof(d.PaymentMethodLast4));
        }
    }

    private static List<(string Label, string Value)> Rows(FailedAutoPayDetails d)
    {
        var rows = new List<(string, string)>
        {
            ("Firm", d.FirmName),
            ("Payer", d.PayerName),
            ("Schedule", d.ScheduleName),
            ("Run date", FormatRunDate(d.RunDate)),
            ("Amount attempted", d.AmountAttempted is { } amount ? Currencies.Format(amount) : "none (the run failed before an amount was allocated)"),
        };
        if (d.Surcharge is { Minor: > 0 } surcharge)
        {
            rows.Add(("Card surcharge (included)", Currencies.Format(surcharge)));
        }

        var method = PaymentMethod(d);
        if (method is not null)
        {
            rows.Add(("Payment method", method));
        }

        rows.Add(("Reason", d.FailureReason));
        for (var i = 0; i < d.Attempts.Count; i++)
        {
            rows.Add(($"Attempt {i + 1}", d.Attempts[i]));
        }

        return rows;
    }

    private static string? PaymentMethod(FailedAutoPayDetails d) => (d.PaymentMethodLabel, d.PaymentMethodLast4) switch
    {
        (null or "", null) => null,
        (null or "", var last4) => $"ending in {last4}",
        (var label, null) => label,
        (var label, var last4) => $"{label} ending in {last4}",
    };

}

/// <summary>The one layout of notification emails: an introduction, a table of label/value rows and a portal link.</summary>
public static class EmailLayout
{
    public static string PlainText(string intro, IReadOnlyList<(string Label, string Value)> rows, string linkText, Uri link)
    {
        var width = rows.Count == 0 ? 0 : rows.Max(r => r.Label.Length) + 2;
        var text = new StringBuilder();
        text.Append(intro).Append("\n\n");
        foreach (var (label, value) in rows)
        {
            text.Append((label + ":").PadRight(width)).Append(value).Append('\n');
        }

        text.Append('\n').Append(linkText).Append(": ").Append(link.AbsoluteUri).Append('\n');
        return text.ToString();
    }

    public static string Html(string title, string intro, IReadOnlyList<(string Label, string Value)> rows, string linkText, Uri link)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title></head><body>\n");
        html.Append("<p>").Append(E(intro)).Append("</p>\n");
        html.Append("<table>\n");
        foreach (var (label, value) in rows)
        {
            html.Append("<tr><th align=\"left\">").Append(E(label)).Append("</th><td>").Append(E(value)).Append("</td></tr>\n");
        }

        html.Append("</table>\n");
        html.Append("<p><a href=\"").Append(E(link.AbsoluteUri)).Append("\">").Append(E(linkText)).Append("</a></p>\n");
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>Names typed by people can hold line breaks; a subject is one line.</summary>
    public static string OneLine(string s) => new string(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
}

/// <summary>What the AwaitingApproval email says about one run above its approval ceiling. Display data only.</summary>
public sealed record AwaitingApprovalDetails
{
    public required string FirmName { get; init; }

    public required string PayerName { get; init; }

    public required string ScheduleId { get; init; }

    public required string ScheduleName { get; init; }

    public required LocalDate RunDate { get; init; }

    public required Money Amount { get; init; }

    public required string Why { get; init; }

    public required int InvoiceCount { get; init; }
}

/// <summary>Composes the AwaitingApproval notification: a run waits for a person to approve or decline it.</summary>
public static class AwaitingApprovalEmail
{
    public static EmailMessage Compose(string messageId, IReadOnlyList<EmailAddress> to, AwaitingApprovalDetails details, Uri portalBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(details);
        var link = FailedAutoPayEmail.RunPageUrl(portalBaseUrl, details.ScheduleId, details.RunDate);
        var subject = $"AutoPay awaiting approval: {EmailLayout.OneLine(details.ScheduleName)} for {EmailLayout.OneLine(details.PayerName)}, {Currencies.Format(details.Amount)}";
        var intro = $"An Auto-Pay run for {details.FirmName} is above its approval limit and waits for approval; nothing is charged until someone approves it.";
        var rows = new List<(string, string)>
        {
            ("Payer", details.PayerName),
            ("Schedule", details.ScheduleName),
            ("Run date", FailedAutoPayEmail.FormatRunDate(details.RunDate)),
            ("Amount", Currencies.Format(details.Amount)),
            ("Invoices", details.InvoiceCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Why approval is needed", details.Why),
        };
        return new EmailMessage(messageId, to, subject,
            EmailLayout.PlainText(intro, rows, "Approve or decline the run in PayConnect", link),
            EmailLayout.Html("AutoPay awaiting approval", intro, rows, "Approve or decline the run in PayConnect", link));
    }
}
