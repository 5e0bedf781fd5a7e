using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;

namespace PayConnect.Postings;

/// <summary>The filters of Manage Postings; every one is optional and they combine.</summary>
/// <param name="State">Only postings in this state.</param>
/// <param name="From">Only postings of runs on or after this date (yyyy-MM-dd).</param>
/// <param name="To">Only postings of runs on or before this date (yyyy-MM-dd); not before from.</param>
/// <param name="PayerId">Only this payer's postings.</param>
/// <param name="ScheduleId">Only this schedule's postings.</param>
public sealed record ListPostingsQuery(PostingState? State = null, LocalDate? From = null, LocalDate? To = null, string? PayerId = null, string? ScheduleId = null);

public sealed class ListPostingsQueryValidator : RequestValidator<ListPostingsQuery>
{
    public ListPostingsQueryValidator()
    {
        RuleFor(x => x.To).Must((q, to) => q.From is null || to is null || to >= q.From).WithMessage("Must not be before 'from'.");
        RuleFor(x => x.PayerId).Text(100).Must(id => id is null || Ids.IsWellFormed(id)).WithMessage("Is not a valid id.");
        RuleFor(x => x.ScheduleId).Text(100).Must(id => id is null || Ids.IsWellFormed(id)).WithMessage("Is not a valid id.");
    }
}

/// <summary>Why posting to the MMS failed.</summary>
/// <param name="Reason">What went wrong, for the staff who fix it (never a card or account number).</param>
public sealed record MarkPostingFailedRequest(string Reason) : IExample<MarkPostingFailedRequest>
{
    public static MarkPostingFailedRequest Example => new("Invoice INV-1001 is closed in the MMS.");
}

public sealed class MarkPostingFailedRequestValidator : RequestValidator<MarkPostingFailedRequest>
{
    public MarkPostingFailedRequestValidator() => RuleFor(x => x.Reason).Text(Posting.MaxReasonLength).NoCardNumber();
}

/// <summary>Why the posting is voided (final).</summary>
/// <param name="Reason">Why, for the audit trail (never a card or account number).</param>
public sealed record VoidPostingRequest(string Reason) : IExample<VoidPostingRequest>
{
    public static VoidPostingRequest Example => new("Refunded to the client by cheque.");
}

public sealed class VoidPostingRequestValidator : RequestValidator<VoidPostingRequest>
{
    public VoidPostingRequestValidator() => RuleFor(x => x.Reason).Text(Posting.MaxReasonLength).NoCardNumber();
}

/// <summary>One change of a posting: who, when, from which state to which, and why.</summary>
/// <param name="Version">The posting's version after the change (1 when created).</param>
/// <param name="Action">Created, MarkPosted, MarkFailed, Retry or Void.</param>
/// <param name="From">The state before; null when created.</param>
/// <param name="To">The state after.</param>
/// <param name="By">Who made the change (a user, or the engine).</param>
/// <param name="At">When.</param>
/// <param name="Reason">The reason given (MarkFailed and Void).</param>
public sealed record PostingAuditResponse(int Version, string Action, PostingState? From, PostingState To, string By, Instant At, string? Reason) : IExample<PostingAuditResponse>
{
    public static PostingAuditResponse Example => new(1, "Created", null, PostingState.Pending, "engine", Instant.FromUtc(2026, 3, 2, 15, 0), null);

    public static PostingAuditResponse Of(PostingAudit a) => new(a.Version, a.Action, a.From, a.To, a.By, a.At, a.Reason);
}

/// <summary>A posting's audit trail.</summary>
/// <param name="Items">Every change, oldest first.</param>
public sealed record PostingAuditListResponse(IReadOnlyList<PostingAuditResponse> Items) : IExample<PostingAuditListResponse>
{
    public static PostingAuditListResponse Example => new([PostingAuditResponse.Example]);
}

/// <summary>The payment of one invoice by one run (or its surcharge, or money that went back), and whether the firm's books (the MMS) show it yet.</summary>
/// <param name="Id">The posting's id (derived from the invoice, the schedule and the run date).</param>
/// <param name="InvoiceNumber">The invoice paid.</param>
/// <param name="ClientNumber">Its client.</param>
/// <param name="MatterNumber">Its matter.</param>
/// <param name="AmountMinor">What the run paid on the invoice, in minor units.</param>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="RunKey">The run: firmId/scheduleId/yyyy-MM-dd.</param>
/// <param name="RunDate">The run's date, in the firm's time zone.</param>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="PayerId">The payer.</param>
/// <param name="ChargeId">The gateway's id of the charge.</param>
/// <param name="BankAccountId">The deposit account.</param>
/// <param name="ArMessage">The schedule's A/R message for the firm's books.</param>
/// <param name="Reference">The payment reference to record in the MMS.</param>
/// <param name="State">Pending, Posted, Failed or Voided.</param>
/// <param name="SettlementPending">The charge settles later (ACH): the money is not in the firm's account yet.</param>
/// <param name="VoidReason">Why it was voided.</param>
/// <param name="Kind">Payment (of an invoice), Surcharge (the card surcharge, deposited to operating) or Reversal (money that went back: post it to the MMS negatively).</param>
/// <param name="ReversalOf">A reversal: the posting whose money went back.</param>
/// <param name="Cause">A reversal: Refund, Dispute (lost) or AchReturn.</param>
/// <param name="SourceId">A reversal: the gateway's refund or dispute id, or the ACH return code.</param>
/// <param name="Version">Increases with every change.</param>
/// <param name="Audit">Every change, oldest first.</param>
/// <param name="CreatedAt">When the run wrote it.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record PostingResponse(
    string Id,
    string InvoiceNumber,
    string ClientNumber,
    string MatterNumber,
    long AmountMinor,
    string Currency,
    string RunKey,
    LocalDate RunDate,
    string ScheduleId,
    string PayerId,
    string ChargeId,
    string BankAccountId,
    string? ArMessage,
    string? Reference,
    PostingState State,
    bool SettlementPending,
    string? VoidReason,
    PostingKind Kind,
    string? ReversalOf,
    ReversalCause? Cause,
    string? SourceId,
    int Version,
    IReadOnlyList<PostingAuditResponse> Audit,
    Instant CreatedAt,
    Instant UpdatedAt) : IExample<PostingResponse>
{
    public static PostingResponse Example => new(
        "SU5WLTEwMDE~as_0195f1c2a3b4~2026-03-02", "INV-1001", "C-100", "M-100-1", 120000, "USD", "smith-jones/as_0195f1c2a3b4/2026-03-02",
        new LocalDate(2026, 3, 2), "as_0195f1c2a3b4", "py_0195f1c2a3b4", "pi_3Pq1", "ba_0195f1c2a3b4", "Auto-Pay", "PC-7KQ2MZ9WXA",
        PostingState.Pending, false, null, PostingKind.Payment, null, null, null, 1, [PostingAuditResponse.Example], Instant.FromUtc(2026, 3, 2, 15, 0), Instant.FromUtc(2026, 3, 2, 15, 0));

    public static PostingResponse From(Posting p) => new(
        p.Id, p.InvoiceNumber, p.ClientNumber, p.MatterNumber, p.AmountMinor, p.Currency, p.RunKey, p.RunDate, p.ScheduleId, p.PayerId,
        p.ChargeId, p.BankAccountId, p.ArMessage, p.Reference, p.State, p.SettlementPending, p.VoidReason, p.Kind, p.ReversalOf, p.Cause, p.SourceId, p.Version,
        p.Audit.Select(PostingAuditResponse.Of).ToList(), p.CreatedAt, p.UpdatedAt);
}
