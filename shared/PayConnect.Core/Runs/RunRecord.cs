using NodaTime;
using NodaTime.Text;
using PayConnect.Connect;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// Where a run stands. A run is first recorded when its allocation is decided (the insert is the claim):
/// Allocated → (Charged →) Posted, or NothingDue / AwaitingApproval / AwaitingRetry / Failed / Skipped.
/// </summary>
public enum RunState
{
    /// <summary>Lines, total, holds and idempotency key are stored; the charge may or may not have been made.</summary>
    Allocated,

    /// <summary>The allocation is above the firm's approval threshold or the schedule's maximum; holds kept, nothing charged.</summary>
    AwaitingApproval,

    /// <summary>The gateway approved the charge; its postings are being written (only for runs with many invoices).</summary>
    Charged,

    /// <summary>One posting per paid invoice is written; Σ postings = the charge. Final.</summary>
    Posted,

    /// <summary>Nothing was available to pay; no charge. Final.</summary>
    NothingDue,

    /// <summary>Soft-declined; a new attempt allocates afresh on <see cref="RunRecord.RetryOn"/>. Holds released.</summary>
    AwaitingRetry,

    /// <summary>Failed for good (hard decline, retries used up, MMS unreachable beyond the retry window, bad input). Final.</summary>
    Failed,

    /// <summary>Not charged because staff paused, ended or changed the schedule before the charge, or declined its approval. Final.</summary>
    Skipped,

    /// <summary>
    /// The payer's bank returned the ACH debit (<see cref="RunRecord.Returns"/> has the code); its money went back and
    /// reversal postings are written. Final, unless an R01/R09 return is re-presented on <see cref="RunRecord.RetryOn"/>.
    /// </summary>
    Returned,
}

/// <summary>Where a refund of a run's charge stands at the gateway (ordered: a later state never goes back).</summary>
public enum RefundStatus
{
    /// <summary>Staff asked for it; the gateway has not answered yet.</summary>
    Requested,

    /// <summary>The gateway accepted it; the money is on its way back.</summary>
    Pending,

    /// <summary>The money went back to the payer: reversal postings are written and holds released.</summary>
    Succeeded,

    /// <summary>The gateway could not return the money. Final; nothing was reversed.</summary>
    Failed,

    /// <summary>Cancelled before the money went back. Final; nothing was reversed.</summary>
    Canceled,
}

/// <summary>Where a dispute (chargeback) of a run's charge stands (ordered: a later state never goes back).</summary>
public enum DisputeStatus
{
    /// <summary>The payer's card issuer disputes the charge; the firm may answer it.</summary>
    Open,

    /// <summary>Decided for the firm: nothing changes.</summary>
    Won,

    /// <summary>Decided for the payer: the money went back; reversal postings, and the chargeback is recovered from the operating account.</summary>
    Lost,
}

/// <summary>
/// What one reversal (a refund, a lost dispute or an ACH return) returned on one invoice of the run, or on its
/// surcharge (empty invoice number): the amount, the payment reference of its reversal posting, and how much of it
/// came off the run's hold on the invoice at once (the rest counts again once the MMS shows the reversal).
/// </summary>
public sealed record ReversalLine(string InvoiceNumber, string ClientNumber, string MatterNumber, long AmountMinor, string Reference)
{
    /// <summary>The reversal of the run's surcharge line (never an invoice's money).</summary>
    public bool IsSurcharge => InvoiceNumber.Length == 0;

    /// <summary>How much of it came off the run's hold on the invoice when it was written.</summary>
    public long ReleasedMinor { get; init; }
}

/// <summary>A refund of the run's charge, asked for by staff or started in the gateway's dashboard.</summary>
/// <param name="Key">Ours: the gateway idempotency key of a staff refund, or the gateway's refund id of one started elsewhere.</param>
/// <param name="AmountMinor">What goes back to the payer, surcharge share included.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="CreatedAt">When it was first recorded.</param>
public sealed record RunRefund(string Key, long AmountMinor, RefundStatus Status, Instant CreatedAt)
{
    /// <summary>The gateway's id, once known.</summary>
    public string? RefundId { get; init; }

    /// <summary>The staff user who asked for it; null when it was started in the gateway's dashboard.</summary>
    public string? RequestedBy { get; init; }

    public string? Reason { get; init; }

    /// <summary>How it splits over the run's invoices (and surcharge), decided when it was asked for or first seen.</summary>
    public IReadOnlyList<ReversalLine> Lines { get; init; } = [];

    /// <summary>True once its reversal postings are written (it succeeded).</summary>
    public bool Reversed { get; init; }

    public Instant? UpdatedAt { get; init; }
}

/// <summary>A dispute (chargeback) of the run's charge.</summary>
public sealed record RunDispute(string DisputeId, long AmountMinor, DisputeStatus Status, Instant OpenedAt)
{
    public string? Reason { get; init; }

    public Instant? ClosedAt { get; init; }

    /// <summary>What the gateway charged for the dispute (its fee), recovered from the operating account when lost.</summary>
    public long FeeMinor { get; init; }

    /// <summary>When lost: how the disputed amount splits over the run's invoices (and surcharge).</summary>
    public IReadOnlyList<ReversalLine> Lines { get; init; } = [];

    /// <summary>When lost: the firm's operating bank account the chargeback and its fee are recorded against (never trust).</summary>
    public string? DebitedBankAccountId { get; init; }

    /// <summary>When lost: what is recovered from that operating account (disputed amount and fee).</summary>
    public long DebitedMinor { get; init; }

    /// <summary>The gateway's id of the recovery from the operating account, once made.</summary>
    public string? RecoveryId { get; init; }
}

/// <summary>An ACH return of one presentment of the run's debit (NACHA R01–R85).</summary>
public sealed record RunReturn(string Code, string Description, string ChargeId, int Presentment, long AmountMinor, Instant At)
{
    /// <summary>How the returned amount splits over the run's invoices (and surcharge).</summary>
    public IReadOnlyList<ReversalLine> Lines { get; init; } = [];

    /// <summary>R01/R09 within NACHA's limits: the date of the re-presentment; null when the debit is never presented again.</summary>
    public LocalDate? RepresentOn { get; init; }

    /// <summary>Why it is (not) presented again, for staff.</summary>
    public string? Decision { get; init; }
}

/// <summary>
/// One invoice a run pays, as allocated (stored before the charge so a resumed run charges the same total), with the
/// payment reference the firm's books record for it (<see cref="Postings.PaymentReference"/>).
/// </summary>
public sealed record RunLine(string InvoiceNumber, string ClientNumber, string MatterNumber, long AmountMinor, long AvailableMinor, string Reference);

/// <summary>An invoice in the run's scopes that still owes money once the run's allocation is taken off.</summary>
public sealed record RunOwing(string InvoiceNumber, string MatterNumber, long AvailableMinor);

/// <summary>What the run's scopes still owed once its allocation was taken off (the payer's receipt shows it).</summary>
/// <param name="TotalMinor">Every invoice counted.</param>
/// <param name="Invoices">Oldest first, at most <see cref="MaxListed"/>.</param>
public sealed record RunLeftOwing(long TotalMinor, IReadOnlyList<RunOwing> Invoices)
{
    public const int MaxListed = 50;
}

/// <summary>
/// What the run charges and where the money goes, as the schedule was when it allocated: every retry of one
/// idempotency key must send the same request, even if the schedule or the payer's methods change meanwhile.
/// </summary>
public sealed record RunSnapshot(
    string PayerId,
    string PaymentMethodId,
    string PaymentMethodToken,
    PaymentMethodKind PaymentMethodKind,
    string BankAccountId,
    string? ArMessage,
    string Currency)
{
    public string? MandateId { get; init; }

    public BankAccountKind DepositKind { get; init; } = BankAccountKind.Operating;

    /// <summary>The gateway account the deposit settles into (Stripe connected account).</summary>
    public string? ConnectedAccountId { get; init; }

    /// <summary>The card's funding type (a surcharge applies to credit cards only); null for ACH or unknown.</summary>
    public Payments.CardFunding? Funding { get; init; }
}

/// <summary>One thing that happened to a run on its way: a charge attempt's outcome, an unreachable MMS, a gateway that did not answer.</summary>
public sealed record RunEvent(Instant At, string What, string? Code, string Message, long? AmountMinor = null, int? Attempt = null);

/// <summary>Why a run waits for approval, and what staff decided.</summary>
public sealed record RunApproval(string RequiredBecause, long LimitMinor)
{
    public string? DecidedBy { get; init; }

    public Instant? DecidedAt { get; init; }

    public bool? Approved { get; init; }

    public string? Reason { get; init; }
}

/// <summary>A move the run's state does not allow (a bug in the caller, never bad user input).</summary>
public sealed class InvalidRunTransitionException(string message) : InvalidOperationException(message);

/// <summary>
/// The durable state of one run (one schedule, one due date), keyed by the run key, in the firm's partition of the
/// ledger table beside its holds and postings so that each move commits with them. Moves are methods that refuse what
/// the state does not allow; the caller stores the result with the ETag it read.
/// </summary>
public sealed record RunRecord(
    string RunKey,
    string ScheduleId,
    LocalDate RunDate,
    RunState State,
    int Attempt,
    Instant CreatedAt,
    Instant UpdatedAt) : IFirmRecord
{
    private static readonly LocalDatePattern DatePattern = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");

    public const string KeyPrefix = "R~";

    public static string Table => LedgerTable.Name;

    public string Key => KeyOf(ScheduleId, RunDate);

    public RunSnapshot? Snapshot { get; init; }

    /// <summary>The gateway idempotency key of <see cref="Attempt"/>; set when allocated, reused for every retry of it.</summary>
    public string? IdempotencyKey { get; init; }

    public IReadOnlyList<RunLine> Lines { get; init; } = [];

    /// <summary>
    /// What the run's scopes still owed after its allocation, as the allocation read them (null on runs allocated before
    /// this was kept): the receipt shows it without reading the MMS again (docs/decisions/0043).
    /// </summary>
    public RunLeftOwing? LeftOwing { get; init; }

    public long? AmountMinor { get; init; }

    public string? Currency { get; init; }

    /// <summary>When the current attempt was allocated (a gateway lookup for the charge looks from here).</summary>
    public Instant? AllocatedAt { get; init; }

    public string? ChargeId { get; init; }

    /// <summary>The charge is accepted but the money settles later (ACH); holds stay until the MMS shows it.</summary>
    public bool SettlementPending { get; init; }

    /// <summary>The decline code or failure kind (e.g. <c>insufficient_funds</c>, <c>mms_unavailable</c>, <c>paused</c>).</summary>
    public string? FailureCode { get; init; }

    /// <summary>Why the run failed or was skipped, for staff.</summary>
    public string? FailureReason { get; init; }

    /// <summary>Who skipped it (staff user), when a person did.</summary>
    public string? SkippedBy { get; init; }

    /// <summary>Firm-local date of the first charge attempt (the decline policy counts from it).</summary>
    public LocalDate? FirstAttemptOn { get; init; }

    /// <summary>After a soft decline: the firm-local date attempt <see cref="Attempt"/> + 1 may run.</summary>
    public LocalDate? RetryOn { get; init; }

    /// <summary>How many times the charge was given a new key after a consistent lookup found a replayed failure charged nothing.</summary>
    public int Rekeyed { get; init; }

    /// <summary>While the gateway could not confirm the charge: the re-check is due then (the run blocks nothing meanwhile).</summary>
    public Instant? ParkedUntil { get; init; }

    public RunApproval? Approval { get; init; }

    /// <summary>Every attempt and everything that held the run up, oldest first (the failure email lists them).</summary>
    public IReadOnlyList<RunEvent> Events { get; init; } = [];

    /// <summary>Notification types already put in the outbox for this run (one email per run per subscriber and type).</summary>
    public IReadOnlyList<string> Notified { get; init; } = [];

    /// <summary>The allocation left nothing available in the schedule's scopes: once posted, a payment plan is paid off.</summary>
    public bool PaysOff { get; init; }

    /// <summary>The card surcharge charged on top of the invoices (its own line and posting, deposited to operating; never any invoice's money).</summary>
    public long SurchargeMinor { get; init; }

    /// <summary>The surcharge rate the run was allocated with, in basis points (0 when it carries none).</summary>
    public int SurchargeBasisPoints { get; init; }

    /// <summary>The payment reference of the surcharge posting, when there is one.</summary>
    public string? SurchargeReference { get; init; }

    /// <summary>When the ACH debit settled (the gateway said so); null while pending or for cards.</summary>
    public Instant? SettledAt { get; init; }

    /// <summary>When the original (first) presentment of the ACH debit settled: NACHA counts re-presentments from it.</summary>
    public Instant? FirstSettledAt { get; init; }

    /// <summary>How many times the ACH debit was presented again after a return (0 for the original presentment).</summary>
    public int Presentment { get; init; }

    /// <summary>Refunds of the charge, in the order they were first recorded.</summary>
    public IReadOnlyList<RunRefund> Refunds { get; init; } = [];

    /// <summary>The dispute (chargeback) of the charge, if the payer's issuer opened one.</summary>
    public RunDispute? Dispute { get; init; }

    /// <summary>ACH returns, one per returned presentment, oldest first.</summary>
    public IReadOnlyList<RunReturn> Returns { get; init; } = [];

    /// <summary>Whether a dispute of the run's charge is open or was decided.</summary>
    public bool Disputed => Dispute is not null;

    /// <summary>
    /// The key payment references and posting ids of this presentment derive from: the run key, and for a re-presented
    /// ACH debit the presentment too (each presentment has its own postings).
    /// </summary>
    public string ReferenceKey => ReferenceKeyOf(RunKey, Presentment);

    /// <summary>True when nothing more will happen to the run (a returned run waiting for its re-presentment is not).</summary>
    public bool IsFinal => State is RunState.Posted or RunState.NothingDue or RunState.Failed or RunState.Skipped
        || (State == RunState.Returned && RetryOn is null);

    /// <summary>True between allocation and the end of its charge attempt, unless parked: later runs of the schedule wait.</summary>
    public bool BlocksLaterRuns => State == RunState.Allocated && ParkedUntil is null;

    public static string KeyOf(string scheduleId, LocalDate runDate) => KeyPrefix + scheduleId + "~" + DatePattern.Format(runDate);

    /// <summary>See <see cref="ReferenceKey"/>.</summary>
    public static string ReferenceKeyOf(string runKey, int presentment) => presentment == 0 ? runKey : runKey + "#p" + presentment.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the run's charge put on the invoice: the line less what went back on it (refunds, a lost dispute, a return).</summary>
    public long RemainingOn(RunLine line) =>
        line.AmountMinor - ReversalLines(includeRequested: true).Where(l => string.Equals(l.InvoiceNumber, line.InvoiceNumber, StringComparison.OrdinalIgnoreCase)).Sum(l => l.AmountMinor);

    /// <summary>What of the surcharge has not gone back.</summary>
    public long SurchargeRemaining => SurchargeMinor - ReversalLines(includeRequested: true).Where(l => l.IsSurcharge).Sum(l => l.AmountMinor);

    /// <summary>What of the charge has not gone back (or is not on its way back by a refund asked for).</summary>
    public long ChargeRemaining => (AmountMinor ?? 0) - ReversalLines(includeRequested: true).Sum(l => l.AmountMinor);

    /// <summary>The reversal lines of this presentment's charge: refunds (with those still on their way when asked), a lost dispute, a return.</summary>
    public IEnumerable<ReversalLine> ReversalLines(bool includeRequested)
    {
        foreach (var refund in Refunds)
        {
            if (refund.Reversed || (includeRequested && refund.Status is RefundStatus.Requested or RefundStatus.Pending))
            {
                foreach (var line in refund.Lines)
                {
                    yield return line;
                }
            }
        }

        if (Dispute is { Status: DisputeStatus.Lost } dispute)
        {
            foreach (var line in dispute.Lines)
            {
                yield return line;
            }
        }

        foreach (var returned in Returns.Where(r => r.Presentment == Presentment && r.ChargeId == ChargeId))
        {
            foreach (var line in returned.Lines)
            {
                yield return line;
            }
        }
    }

    /// <summary>The key prefix of every run of one schedule, in date order.</summary>
    public static string SchedulePrefix(string scheduleId) => KeyPrefix + scheduleId + "~";

    /// <summary>The first record of a run, or the next attempt of one waiting for its retry.</summary>
    public static RunRecord Begin(RunKey key, RunRecord? prior, Instant now)
    {
        if (prior is null)
        {
            return new RunRecord(key.Format(), key.ScheduleId, key.RunDate, RunState.Allocated, 1, now, now);
        }

        var representment = prior.State == RunState.Returned && prior.RetryOn is not null;
        if (prior.State != RunState.AwaitingRetry && !representment)
        {
            throw new InvalidRunTransitionException($"Run {prior.RunKey} is {prior.State}; only a run awaiting its retry starts a new attempt.");
        }

        return prior with
        {
            Attempt = prior.Attempt + 1,
            Presentment = representment ? prior.Presentment + 1 : prior.Presentment,
            SettlementPending = false,
            SettledAt = null,
            SurchargeMinor = 0,
            SurchargeBasisPoints = 0,
            SurchargeReference = null,
            Refunds = representment ? [] : prior.Refunds,
            Dispute = representment ? null : prior.Dispute,
            IdempotencyKey = null,
            Lines = [],
            AmountMinor = null,
            ChargeId = null,
            FailureCode = null,
            FailureReason = null,
            RetryOn = null,
            ParkedUntil = null,
            AllocatedAt = null,
            Rekeyed = 0,
            UpdatedAt = now,
        };
    }

    /// <summary>Lines and total decided; from here every delivery charges exactly this, with exactly this key.</summary>
    /// <param name="snapshot">What the run charges and where the money goes.</param>
    /// <param name="lines">The invoices it pays.</param>
    /// <param name="today">The firm-local date.</param>
    /// <param name="paysOff">Nothing else is available in the schedule's scopes.</param>
    /// <param name="now">When.</param>
    /// <param name="surchargeBasisPoints">The card surcharge rate (0 for none): its own line, on top of the invoices.</param>
    public RunRecord Allocated(RunSnapshot snapshot, IReadOnlyList<RunLine> lines, LocalDate today, bool paysOff, Instant now, int surchargeBasisPoints = 0)
    {
        ArgumentOutOfRangeException.ThrowIfZero(lines.Count);
        var surcharge = Payments.Surcharges.On(checked(lines.Sum(l => l.AmountMinor)), surchargeBasisPoints);
        return this with
        {
            State = RunState.Allocated,
            Snapshot = snapshot,
            Currency = snapshot.Currency,
            Lines = lines,
            SurchargeBasisPoints = surchargeBasisPoints,
            SurchargeMinor = surcharge,
            SurchargeReference = surcharge > 0 ? Postings.PaymentReference.For(ReferenceKey, Postings.Posting.SurchargeInvoice) : null,
            AmountMinor = checked(lines.Sum(l => l.AmountMinor) + surcharge),
            IdempotencyKey = Payments.ChargeIdempotencyKey.For(RunKey, Attempt),
            AllocatedAt = now,
            FirstAttemptOn = FirstAttemptOn ?? today,
            PaysOff = paysOff,
            UpdatedAt = now,
        };
    }

    /// <summary>Allocated above a ceiling: holds are kept, nothing is charged until staff decide.</summary>
    public RunRecord AwaitingApproval(RunApproval approval, Instant now) => this with
    {
        State = RunState.AwaitingApproval,
        Approval = approval,
        Events = [.. Events, new RunEvent(now, "AwaitingApproval", null, approval.RequiredBecause, AmountMinor, Attempt)],
        UpdatedAt = now,
    };

    public RunRecord NothingDue(RunSnapshot? snapshot, string? why, bool paysOff, Instant now) => this with
    {
        State = RunState.NothingDue,
        Snapshot = snapshot ?? Snapshot,
        Currency = snapshot?.Currency ?? Currency,
        FailureReason = why,
        PaysOff = paysOff,
        UpdatedAt = now,
    };

    /// <summary>Staff stopped the run before its charge: paused, ended, changed the schedule, skipped the date or declined approval.</summary>
    public RunRecord Skipped(string code, string why, string? by, Instant now)
    {
        if (State == RunState.Charged || IsFinal)
        {
            throw new InvalidRunTransitionException($"Run {RunKey} is {State}; a charged or finished run cannot be skipped.");
        }

        return this with
        {
            State = RunState.Skipped,
            FailureCode = code,
            FailureReason = why,
            SkippedBy = by,
            ParkedUntil = null,
            Events = [.. Events, new RunEvent(now, "Skipped", code, why, AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>Failed for good before or without a charge.</summary>
    public RunRecord Failed(string code, string reason, Instant now)
    {
        if (State == RunState.Charged || IsFinal)
        {
            throw new InvalidRunTransitionException($"Run {RunKey} is {State}; a charged or finished run cannot fail.");
        }

        return this with
        {
            State = RunState.Failed,
            FailureCode = code,
            FailureReason = reason,
            ParkedUntil = null,
            RetryOn = null,
            UpdatedAt = now,
        };
    }

    /// <summary>The gateway confirmed the charge; postings follow (in the same commit when they fit).</summary>
    public RunRecord Charged(string chargeId, bool settlementPending, Instant now)
    {
        Require(RunState.Allocated, "be charged");
        return this with
        {
            State = RunState.Charged,
            ChargeId = chargeId,
            SettlementPending = settlementPending,
            ParkedUntil = null,
            Events = [.. Events, new RunEvent(now, "Charged", null, settlementPending ? "Charge accepted; settles later." : "Charge approved.", AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>Postings written: Σ postings = the charge. Final.</summary>
    public RunRecord Posted(Instant now)
    {
        Require(RunState.Charged, "be posted");
        return this with { State = RunState.Posted, UpdatedAt = now };
    }

    /// <summary>A declined charge: a later attempt on <paramref name="retryOn"/>, or failed for good.</summary>
    public RunRecord Declined(string code, string message, LocalDate? retryOn, string reason, Instant now)
    {
        Require(RunState.Allocated, "be declined");
        var declined = this with
        {
            FailureCode = code,
            FailureReason = reason,
            ParkedUntil = null,
            Events = [.. Events, new RunEvent(now, "Declined", code, message, AmountMinor, Attempt)],
            UpdatedAt = now,
        };
        return retryOn is { } date
            ? declined with { State = RunState.AwaitingRetry, RetryOn = date }
            : declined with { State = RunState.Failed, RetryOn = null };
    }

    /// <summary>The gateway did not confirm the charge for a while: the re-check is due at <paramref name="until"/>.</summary>
    public RunRecord Parked(Instant until, string code, string reason, Instant now)
    {
        Require(RunState.Allocated, "be parked");
        return this with
        {
            ParkedUntil = until,
            Events = [.. Events, new RunEvent(now, "Parked", code, reason, AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>Staff approved the run; it charges the (re-checked) lines.</summary>
    public RunRecord Approve(string by, IReadOnlyList<RunLine> lines, Instant now)
    {
        Require(RunState.AwaitingApproval, "be approved");
        var approval = Approval! with { DecidedBy = by, DecidedAt = now, Approved = true };
        var next = this with { Approval = approval, Events = [.. Events, new RunEvent(now, "Approved", null, $"Approved by {by}.", AmountMinor, Attempt)], UpdatedAt = now };
        var surcharge = Payments.Surcharges.On(checked(lines.Sum(l => l.AmountMinor)), SurchargeBasisPoints);
        return lines.Count == 0
            ? next with { State = RunState.NothingDue, Lines = [], AmountMinor = null, SurchargeMinor = 0, SurchargeReference = null, FailureReason = "Nothing was left to pay when the run was approved." }
            : next with
            {
                State = RunState.Allocated,
                Lines = lines,
                SurchargeMinor = surcharge,
                SurchargeReference = surcharge > 0 ? Postings.PaymentReference.For(ReferenceKey, Postings.Posting.SurchargeInvoice) : null,
                AmountMinor = checked(lines.Sum(l => l.AmountMinor) + surcharge),
                AllocatedAt = now,
            };
    }

    /// <summary>Staff declined the run's approval: skipped, nothing charged.</summary>
    public RunRecord DeclineApproval(string by, string reason, Instant now)
    {
        Require(RunState.AwaitingApproval, "be declined by staff");
        return (this with { Approval = Approval! with { DecidedBy = by, DecidedAt = now, Approved = false, Reason = reason } })
            .Skipped("approval_declined", $"Approval declined by {by}: {reason}", by, now);
    }

    /// <summary>
    /// A consistent lookup found that the charge under the current key was never made, but the gateway will keep
    /// replaying the failure for that key: the attempt continues under a new key.
    /// </summary>
    public RunRecord Rekey(string why, Instant now)
    {
        Require(RunState.Allocated, "get a new key");
        return this with
        {
            Rekeyed = Rekeyed + 1,
            IdempotencyKey = Payments.ChargeIdempotencyKey.For(RunKey, Attempt, Rekeyed + 1),
            Events = [.. Events, new RunEvent(now, "Rekeyed", "gateway_replayed_failure", why, AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>Staff asked for a refund (or the gateway reported one): recorded before the money moves, so its split is known when it does.</summary>
    public RunRecord RefundRecorded(RunRefund refund, Instant now)
    {
        RequireCharged("be refunded");
        if (Refunds.Any(r => r.Key == refund.Key))
        {
            throw new InvalidRunTransitionException($"Run {RunKey} already has refund {refund.Key}.");
        }

        return this with
        {
            Refunds = [.. Refunds, refund],
            Events = [.. Events, new RunEvent(now, "RefundRequested", null, refund.RequestedBy is null ? "Refund started at the gateway." : $"Refund asked for by {refund.RequestedBy}.", refund.AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// A refund moved on at the gateway. A state is never left for an earlier one (events arrive out of order); the
    /// refund is reversed (postings written by the caller in the same commit) when it first reaches Succeeded.
    /// </summary>
    /// <returns>The run, and whether the refund's money went back just now.</returns>
    public (RunRecord Run, bool Reversed) RefundMoved(string key, string? refundId, RefundStatus status, Instant now)
    {
        var at = Refunds.ToList().FindIndex(r => r.Key == key);
        if (at < 0)
        {
            throw new InvalidRunTransitionException($"Run {RunKey} has no refund {key}.");
        }

        var refund = Refunds[at];
        if (!IsLater(refund.Status, status) && (refund.RefundId is not null || refundId is null))
        {
            return (this, false);
        }

        var moved = refund with
        {
            RefundId = refund.RefundId ?? refundId,
            Status = IsLater(refund.Status, status) ? status : refund.Status,
            UpdatedAt = now,
        };
        var reversedNow = moved.Status == RefundStatus.Succeeded && !moved.Reversed;
        moved = reversedNow ? moved with { Reversed = true } : moved;
        var refunds = Refunds.ToList();
        refunds[at] = moved;
        var next = this with { Refunds = refunds, UpdatedAt = now };
        return moved.Status == refund.Status
            ? (next, false)
            : (next with { Events = [.. Events, new RunEvent(now, "Refund" + moved.Status, null, $"Refund {moved.RefundId ?? key} is {moved.Status}.", moved.AmountMinor, Attempt)] }, reversedNow);

        static bool IsLater(RefundStatus stored, RefundStatus incoming) =>
            stored is RefundStatus.Requested ? incoming != RefundStatus.Requested
            : stored is RefundStatus.Pending && incoming is RefundStatus.Succeeded or RefundStatus.Failed or RefundStatus.Canceled;
    }

    /// <summary>
    /// The payer's issuer disputes the charge, or the dispute was decided. Open never follows a decision (events arrive
    /// out of order); Lost writes its reversal lines (postings by the caller in the same commit).
    /// </summary>
    /// <returns>The run, and whether the dispute was lost just now.</returns>
    public (RunRecord Run, bool LostNow) DisputeMoved(RunDispute incoming, Instant now)
    {
        RequireCharged("be disputed");
        var stored = Dispute;
        if (stored is not null && stored.DisputeId != incoming.DisputeId)
        {
            // One dispute per charge (card networks): a second id is a new dispute of the same payment; keep the first.
            return (this, false);
        }

        if (stored is not null && (stored.Status != DisputeStatus.Open || incoming.Status == DisputeStatus.Open))
        {
            return (this, false);
        }

        var next = (stored ?? incoming) with
        {
            Status = incoming.Status,
            Reason = incoming.Reason ?? stored?.Reason,
            ClosedAt = incoming.Status == DisputeStatus.Open ? null : now,
            FeeMinor = incoming.FeeMinor,
            Lines = incoming.Lines,
            DebitedBankAccountId = incoming.DebitedBankAccountId,
            DebitedMinor = incoming.DebitedMinor,
        };
        var what = next.Status switch
        {
            DisputeStatus.Open => "The payer's card issuer disputes the charge.",
            DisputeStatus.Won => "The dispute was decided for the firm.",
            _ => "The dispute was lost: the money went back to the payer.",
        };
        return (this with
        {
            Dispute = next,
            Events = [.. Events, new RunEvent(now, "Dispute" + next.Status, next.Reason, what, next.AmountMinor, Attempt)],
            UpdatedAt = now,
        }, next.Status == DisputeStatus.Lost);
    }

    /// <summary>The chargeback of a lost dispute was recovered from the operating account (the gateway's id of it).</summary>
    public RunRecord ChargebackRecovered(string recoveryId, Instant now) =>
        Dispute is { Status: DisputeStatus.Lost, RecoveryId: null } dispute
            ? this with { Dispute = dispute with { RecoveryId = recoveryId }, UpdatedAt = now }
            : this;

    /// <summary>The ACH debit settled: the money is in the firm's account. Ignored once returned (events arrive out of order).</summary>
    public RunRecord Settled(string chargeId, Instant now)
    {
        if (ChargeId != chargeId || !SettlementPending || State is not (RunState.Posted or RunState.Charged))
        {
            return this;
        }

        return this with
        {
            SettlementPending = false,
            SettledAt = now,
            FirstSettledAt = FirstSettledAt ?? (Presentment == 0 ? now : null),
            Events = [.. Events, new RunEvent(now, "Settled", null, "The bank debit settled.", AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// The payer's bank returned the ACH debit: its money went back (reversal lines written by the caller in the same
    /// commit). The run is Returned; with <see cref="RunReturn.RepresentOn"/> it is presented again on that date.
    /// </summary>
    public RunRecord ReturnedBy(RunReturn returned, Instant now)
    {
        RequireCharged("be returned");
        return this with
        {
            State = RunState.Returned,
            SettlementPending = false,
            Returns = [.. Returns, returned],
            FailureCode = returned.Code,
            FailureReason = $"The payer's bank returned the debit: {returned.Description} ({returned.Code}). {returned.Decision}".TrimEnd(),
            RetryOn = returned.RepresentOn,
            Events = [.. Events, new RunEvent(now, "Returned", returned.Code, returned.Description, returned.AmountMinor, Attempt)],
            UpdatedAt = now,
        };
    }

    /// <summary>Records something that held the run up (an unreachable MMS or gateway) without changing its state.</summary>
    public RunRecord With(RunEvent happened) => this with { Events = [.. Events, happened] };

    public RunRecord MarkNotified(string type, Instant now) =>
        Notified.Contains(type) ? this : this with { Notified = [.. Notified, type], UpdatedAt = now };

    /// <summary>Money after the charge applies to a charge that was made: Posted (or Charged while its postings are written).</summary>
    private void RequireCharged(string what)
    {
        if (State is not (RunState.Posted or RunState.Charged) || ChargeId is null)
        {
            throw new InvalidRunTransitionException($"Run {RunKey} is {State}; only a charged run can {what}.");
        }
    }

    private void Require(RunState state, string what)
    {
        if (State != state)
        {
            throw new InvalidRunTransitionException($"Run {RunKey} is {State}; only a run {state} can {what}.");
        }
    }
}

/// <summary>The one table of a firm's money: runs, holds, postings and the approval queue share the firm's partition.</summary>
public static class LedgerTable
{
    public const string Name = "Ledger";
}
