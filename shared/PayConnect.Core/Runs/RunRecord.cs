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
}

/// <summary>
/// One invoice a run pays, as allocated (stored before the charge so a resumed run charges the same total), with the
/// payment reference the firm's books record for it (<see cref="Postings.PaymentReference"/>).
/// </summary>
public sealed record RunLine(string InvoiceNumber, string ClientNumber, string MatterNumber, long AmountMinor, long AvailableMinor, string Reference);

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

    /// <summary>True when nothing more will happen to the run.</summary>
    public bool IsFinal => State is RunState.Posted or RunState.NothingDue or RunState.Failed or RunState.Skipped;

    /// <summary>True between allocation and the end of its charge attempt, unless parked: later runs of the schedule wait.</summary>
    public bool BlocksLaterRuns => State == RunState.Allocated && ParkedUntil is null;

    public static string KeyOf(string scheduleId, LocalDate runDate) => KeyPrefix + scheduleId + "~" + DatePattern.Format(runDate);

    /// <summary>The key prefix of every run of one schedule, in date order.</summary>
    public static string SchedulePrefix(string scheduleId) => KeyPrefix + scheduleId + "~";

    /// <summary>The first record of a run, or the next attempt of one waiting for its retry.</summary>
    public static RunRecord Begin(RunKey key, RunRecord? prior, Instant now)
    {
        if (prior is null)
        {
            return new RunRecord(key.Format(), key.ScheduleId, key.RunDate, RunState.Allocated, 1, now, now);
        }

        if (prior.State != RunState.AwaitingRetry)
        {
            throw new InvalidRunTransitionException($"Run {prior.RunKey} is {prior.State}; only a run awaiting its retry starts a new attempt.");
        }

        return prior with
        {
            Attempt = prior.Attempt + 1,
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
    public RunRecord Allocated(RunSnapshot snapshot, IReadOnlyList<RunLine> lines, LocalDate today, bool paysOff, Instant now)
    {
        ArgumentOutOfRangeException.ThrowIfZero(lines.Count);
        return this with
        {
            State = RunState.Allocated,
            Snapshot = snapshot,
            Currency = snapshot.Currency,
            Lines = lines,
            AmountMinor = checked(lines.Sum(l => l.AmountMinor)),
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
        return lines.Count == 0
            ? next with { State = RunState.NothingDue, Lines = [], AmountMinor = null, FailureReason = "Nothing was left to pay when the run was approved." }
            : next with { State = RunState.Allocated, Lines = lines, AmountMinor = checked(lines.Sum(l => l.AmountMinor)), AllocatedAt = now };
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

    /// <summary>Records something that held the run up (an unreachable MMS or gateway) without changing its state.</summary>
    public RunRecord With(RunEvent happened) => this with { Events = [.. Events, happened] };

    public RunRecord MarkNotified(string type, Instant now) =>
        Notified.Contains(type) ? this : this with { Notified = [.. Notified, type], UpdatedAt = now };

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
