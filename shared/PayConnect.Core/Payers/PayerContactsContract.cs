using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Notifications;

namespace PayConnect.Payers;

/// <summary>The notices a payer can receive by email.</summary>
public enum PayerNoticeType
{
    /// <summary>Before each run: its date, the expected amount and the invoices (a run is never charged before its notice's lead).</summary>
    PreChargeNotice,

    /// <summary>After each posted run: the amount, the invoices paid and what remains outstanding.</summary>
    PaymentReceipt,

    /// <summary>30 days before a one-year authorization ends.</summary>
    ScheduleExpiring,
}

/// <summary>Where a payer's notices go and which they receive; a PUT replaces both.</summary>
/// <param name="Emails">The plain addresses the payer agreed to receive notices at (none: no email to the payer).</param>
/// <param name="Receives">The notices the payer receives; left out means all of them.</param>
public sealed record PutPayerContactsRequest(IReadOnlyList<string> Emails, IReadOnlyList<PayerNoticeType>? Receives = null) : IExample<PutPayerContactsRequest>
{
    public const int MaxEmails = 5;

    public static PutPayerContactsRequest Example => new(["ap@acme.example"], [PayerNoticeType.PreChargeNotice, PayerNoticeType.PaymentReceipt, PayerNoticeType.ScheduleExpiring]);
}

public sealed class PutPayerContactsRequestValidator : RequestValidator<PutPayerContactsRequest>
{
    public PutPayerContactsRequestValidator()
    {
        RuleFor(x => x.Emails).Items(0, PutPayerContactsRequest.MaxEmails);
        RuleForEach(x => x.Emails).Text(EmailAddresses.MaxLength).PlainEmail();
        RuleFor(x => x.Emails).Must(e => e is null || e.Select(a => a.ToLowerInvariant()).Distinct().Count() == e.Count).WithMessage("Each address may appear once.");
        RuleFor(x => x.Receives).Items(0, 3);
    }
}

/// <summary>A payer's notice addresses and the notices they receive.</summary>
/// <param name="PayerId">The payer.</param>
/// <param name="Emails">The addresses notices go to.</param>
/// <param name="Receives">The notices the payer receives (an unsubscribe link removes one).</param>
/// <param name="UpdatedAt">When they were last changed; null when never set.</param>
public sealed record PayerContactsResponse(string PayerId, IReadOnlyList<string> Emails, IReadOnlyList<PayerNoticeType> Receives, Instant? UpdatedAt) : IExample<PayerContactsResponse>
{
    public static PayerContactsResponse Example => new("py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", ["ap@acme.example"], [PayerNoticeType.PreChargeNotice, PayerNoticeType.PaymentReceipt], Instant.FromUtc(2026, 3, 2, 15, 0));

    public static PayerContactsResponse From(Payer p) => new(
        p.Id,
        p.Contacts?.Emails ?? [],
        (p.Contacts?.Receives ?? []).Select(t => Enum.TryParse<PayerNoticeType>(t, out var type) ? (PayerNoticeType?)type : null).OfType<PayerNoticeType>().ToList(),
        p.Contacts?.UpdatedAt);
}
