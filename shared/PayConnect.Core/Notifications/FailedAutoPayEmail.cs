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
    /// <param name="messageId">The outbox's notification id.</param>
    /// <param name="to">The recipients.</param>
    /// <param name="details">What to say.</param>
    /// <param name="portalBaseUrl">Base of the portal link.</param>
    /// <param name="unsubscribe">The recipient's unsubscribe link for this type (<see cref="NotificationLinks"/>), if any.</param>
    public static EmailMessage Compose(string messageId, IReadOnlyList<EmailAddress> to, FailedAutoPayDetails details, Uri portalBaseUrl, Uri? unsubscribe = null)
    {
        ArgumentNullException.ThrowIfNull(details);
        Validate(details);
        var link = RunPageUrl(portalBaseUrl, details.ScheduleId, details.RunDate);
        var email = EmailTemplates.Render("error-failed-autopay", EmailLayout.Model(
            $"An Auto-Pay run for {details.FirmName} failed.", Rows(details), "Review the run in PayConnect", link, "Error-Failed AutoPay", unsubscribe,
            ("schedule_name", details.ScheduleName), ("payer_name", details.PayerName), ("run_date_iso", IsoDate.Format(details.RunDate))));
        return new EmailMessage(messageId, to, email.Subject, email.PlainText, email.Html);
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

/// <summary>The one layout of staff notification emails: an introduction, a table of label/value rows and a portal link.</summary>
public static class EmailLayout
{
    /// <summary>The model of the staff templates: intro, rows (labels padded for the plain text), link and unsubscribe link.</summary>
    public static Dictionary<string, object?> Model(
        string intro, IReadOnlyList<(string Label, string Value)> rows, string linkText, Uri link, string title, Uri? unsubscribe, params (string Key, string Value)[] more)
    {
        var width = rows.Count == 0 ? 0 : rows.Max(r => r.Label.Length) + 2;
        var model = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["intro"] = intro,
            ["rows"] = rows.Select(r => new Dictionary<string, object?> { ["label"] = r.Label, ["padded"] = (r.Label + ":").PadRight(width), ["value"] = r.Value }).ToList(),
            ["link"] = link.AbsoluteUri,
            ["link_text"] = linkText,
            ["title"] = title,
        };
        if (unsubscribe is not null)
        {
            model["unsubscribe_url"] = unsubscribe.AbsoluteUri;
            model["unsubscribe_reason"] = $"You receive this because you subscribed to {title} emails.";
        }

        foreach (var (key, value) in more)
        {
            model[key] = value;
        }

        return model;
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
    public static EmailMessage Compose(string messageId, IReadOnlyList<EmailAddress> to, AwaitingApprovalDetails details, Uri portalBaseUrl, Uri? unsubscribe = null)
    {
        ArgumentNullException.ThrowIfNull(details);
        var link = FailedAutoPayEmail.RunPageUrl(portalBaseUrl, details.ScheduleId, details.RunDate);
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
        var email = EmailTemplates.Render("awaiting-approval", EmailLayout.Model(
            intro, rows, "Approve or decline the run in PayConnect", link, "AutoPay awaiting approval", unsubscribe,
            ("schedule_name", details.ScheduleName), ("payer_name", details.PayerName), ("amount", Currencies.Format(details.Amount))));
        return new EmailMessage(messageId, to, email.Subject, email.PlainText, email.Html);
    }
}
