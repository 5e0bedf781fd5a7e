using NodaTime;

namespace PayConnect.Notifications;

/// <summary>What a notice about a charged run says: who paid, for which run, and how much. Display data only.</summary>
public sealed record ChargedRunDetails
{
    public required string FirmName { get; init; }

    public required string PayerName { get; init; }

    public required string ScheduleId { get; init; }

    public required string ScheduleName { get; init; }

    public required LocalDate RunDate { get; init; }

    /// <summary>The whole charge, surcharge included.</summary>
    public required Money Charged { get; init; }

    /// <summary>The card surcharge in it (its own line; no invoice's money), when there is one.</summary>
    public Money? Surcharge { get; init; }

    /// <summary>The invoices paid, oldest first, with what was paid on each.</summary>
    public IReadOnlyList<(string Invoice, Money Amount)> Invoices { get; init; } = [];

    /// <summary>Brand and last four digits of the payment method, when known.</summary>
    public string? PaymentMethod { get; init; }
}

/// <summary>
/// The notices of money after the charge: a payment receipt (with its surcharge line), a disputed payment, a returned
/// bank debit. Pure: same input, same email; one per source, type and subscriber through the outbox.
/// </summary>
public static class MoneyAfterChargeEmails
{
    public static EmailMessage Receipt(string messageId, IReadOnlyList<EmailAddress> to, ChargedRunDetails d, Uri portalBaseUrl, Uri? unsubscribe = null)
    {
        ArgumentNullException.ThrowIfNull(d);
        var link = FailedAutoPayEmail.RunPageUrl(portalBaseUrl, d.ScheduleId, d.RunDate);
        var subject = $"Payment receipt: {Currencies.Format(d.Charged)} to {EmailLayout.OneLine(d.FirmName)} on {FailedAutoPayEmail.FormatRunDate(d.RunDate)}";
        var intro = $"{d.FirmName} received an Auto-Pay payment from {d.PayerName}.";
        var rows = Common(d);
        return Staff(messageId, to, subject, "Payment receipt", intro, rows, "See the payment in PayConnect", link, unsubscribe);
    }

    public static EmailMessage Disputed(string messageId, IReadOnlyList<EmailAddress> to, ChargedRunDetails d, Money disputed, string? reason, Uri portalBaseUrl, Uri? unsubscribe = null)
    {
        ArgumentNullException.ThrowIfNull(d);
        var link = FailedAutoPayEmail.RunPageUrl(portalBaseUrl, d.ScheduleId, d.RunDate);
        var subject = $"Payment disputed: {EmailLayout.OneLine(d.ScheduleName)} for {EmailLayout.OneLine(d.PayerName)}, {Currencies.Format(disputed)}";
        var intro = $"The card issuer of {d.PayerName} disputes an Auto-Pay payment to {d.FirmName}. If the dispute is lost, the money goes back to the payer " +
            "and the chargeback and its fee are recovered from the firm's operating account, never from trust.";
        var rows = Common(d);
        rows.Add(("Disputed", Currencies.Format(disputed)));
        if (!string.IsNullOrWhiteSpace(reason))
        {
            rows.Add(("Issuer's reason", reason));
        }

        return Staff(messageId, to, subject, "Payment disputed", intro, rows, "Review the run in PayConnect", link, unsubscribe);
    }

    public static EmailMessage Returned(string messageId, IReadOnlyList<EmailAddress> to, ChargedRunDetails d, string code, string description, string decision, Uri portalBaseUrl, Uri? unsubscribe = null)
    {
        ArgumentNullException.ThrowIfNull(d);
        var link = FailedAutoPayEmail.RunPageUrl(portalBaseUrl, d.ScheduleId, d.RunDate);
        var subject = $"Bank debit returned ({code}): {EmailLayout.OneLine(d.ScheduleName)} for {EmailLayout.OneLine(d.PayerName)}, {Currencies.Format(d.Charged)}";
        var intro = $"The bank of {d.PayerName} returned an Auto-Pay debit to {d.FirmName}: the money went back and the invoices it paid are owed again once your books show the reversal.";
        var rows = Common(d);
        rows.Add(("Return code", $"{code}: {description}"));
        rows.Add(("What happens next", decision));
        return Staff(messageId, to, subject, "Bank debit returned", intro, rows, "Review the run in PayConnect", link, unsubscribe);
    }

    private static List<(string Label, string Value)> Common(ChargedRunDetails d)
    {
        var rows = new List<(string, string)>
        {
            ("Firm", d.FirmName),
            ("Payer", d.PayerName),
            ("Schedule", d.ScheduleName),
            ("Run date", FailedAutoPayEmail.FormatRunDate(d.RunDate)),
        };
        foreach (var (invoice, amount) in d.Invoices)
        {
            rows.Add(("Invoice " + invoice, Currencies.Format(amount)));
        }

        if (d.Surcharge is { Minor: > 0 } surcharge)
        {
            rows.Add(("Card surcharge", Currencies.Format(surcharge)));
        }

        rows.Add(("Total charged", Currencies.Format(d.Charged)));
        if (!string.IsNullOrWhiteSpace(d.PaymentMethod))
        {
            rows.Add(("Payment method", d.PaymentMethod));
        }

        return rows;
    }

    /// <summary>The staff layout (intro, rows, link, unsubscribe link) under the given subject.</summary>
    private static EmailMessage Staff(
        string messageId, IReadOnlyList<EmailAddress> to, string subject, string title, string intro, IReadOnlyList<(string Label, string Value)> rows, string linkText, Uri link, Uri? unsubscribe)
    {
        var email = EmailTemplates.Render("staff-notice", EmailLayout.Model(intro, rows, linkText, link, title, unsubscribe, ("subject_line", subject)));
        return new EmailMessage(messageId, to, email.Subject, email.PlainText, email.Html);
    }
}
