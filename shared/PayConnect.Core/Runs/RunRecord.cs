using NodaTime;
using NodaTime.Text;
using PayConnect.Connect;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>Where a run stands. Started → Allocated → Charged → Posted, or NothingDue / Failed / Skipped.</summary>
public enum RunState
{
    /// <summary>Claimed by a worker; nothing has been allocated or charged yet.</summary>
    Started,

    /// <summary>Lines, total and idempotency key are stored; the charge may or may not have been made.</summary>
    Allocated,

    /// <summary>The gateway approved the charge; postings may not be written yet.</summary>
    Charged,

    /// <summary>One Pending posting per paid invoice is written; Σ postings = the charge. Final.</summary>
    Posted,

    /// <summary>Nothing was available to pay; no charge. Final.</summary>
    NothingDue,

    /// <summary>Declined, MMS unreachable or inconsistent input; staff are notified. Final unless <see cref="RunRecord.RetryOn"/> is set.</summary>
    Failed,

    /// <summary>The schedule is gone, paused or ended; nothing was done. Final.</summary>
    Skipped,
}

/// <summary>One invoice a run pays, as allocated (stored before the charge so a resumed run charges the same total).</summary>
public sealed record RunLine(string InvoiceNumber, string ClientNumber, string MatterNumber, long AmountMinor, long AvailableMinor);

/// <summary>
/// The durable state of one run (one schedule, one due date), keyed by the run key. Created insert-only and moved
/// forward with ETag checks, so two workers holding the same message can never both move it.
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

    public static string Table => "Runs";

    public string Key => KeyOf(ScheduleId, RunDate);

    /// <summary>The gateway idempotency key of <see cref="Attempt"/>; set when allocated, reused for every retry of it.</summary>
    public string? IdempotencyKey { get; init; }

    public string? PayerId { get; init; }

    public string? PaymentMethodId { get; init; }

    /// <summary>
    /// The gateway token as it was when allocated: every retry of one idempotency key must send the same request, even
    /// if the payer's method is updated meanwhile. A token only (never card data); the run API leaves it out.
    /// </summary>
    public string? PaymentMethodToken { get; init; }

    public PaymentMethodKind? PaymentMethodKind { get; init; }

    public string? BankAccountId { get; init; }

    /// <summary>The A/R message as it was when allocated; it is the charge description, which must not change between retries.</summary>
    public string? ArMessage { get; init; }

    public IReadOnlyList<RunLine> Lines { get; init; } = [];

    public long? AmountMinor { get; init; }

    public string? Currency { get; init; }

    public string? ChargeId { get; init; }

    /// <summary>The decline code or failure kind (e.g. <c>insufficient_funds</c>, <c>mms_unavailable</c>).</summary>
    public string? FailureCode { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>Firm-local date of the first charge attempt (the decline policy counts from it).</summary>
    public LocalDate? FirstAttemptOn { get; init; }

    /// <summary>After a soft decline: the date attempt <see cref="Attempt"/> + 1 may run (with its own idempotency key).</summary>
    public LocalDate? RetryOn { get; init; }

    /// <summary>True once the failure notification of this attempt is in the outbox.</summary>
    public bool Notified { get; init; }

    public static string KeyOf(string scheduleId, LocalDate runDate) => scheduleId + "~" + DatePattern.Format(runDate);

    public static RunRecord Start(RunKey key, Instant now) =>
        new(key.Format(), key.ScheduleId, key.RunDate, RunState.Started, 1, now, now);
}
