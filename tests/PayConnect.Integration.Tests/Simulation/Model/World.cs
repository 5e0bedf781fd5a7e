namespace PayConnect.Integration.Tests.Simulation.Model;

// The reference model's picture of the world, written from SPEC §1–§2 with no product type in it. Every class that
// changes during a settle can be cloned, so the model can try the orders in which the engine may have done things.

public enum Level
{
    Client,
    Matter,
    Invoice,
}

public enum RuleKind
{
    PayAllOutstanding,
    UpTo,
}

public enum ScheduleStatus
{
    Active,
    Paused,
    Ended,
}

public enum EndKind
{
    Staff,
    Completed,
    PaidOff,
}

/// <summary>SPEC §2 states of a run, named as the API names them.</summary>
public enum RunStatus
{
    Allocated,
    AwaitingApproval,
    Posted,
    NothingDue,
    AwaitingRetry,
    Failed,
    Skipped,
}

public enum PostingStatus
{
    Pending,
    Posted,
    Failed,
    Voided,
}

/// <summary>What the sandbox gateway does with a token (README's sandbox table).</summary>
public enum TokenBehaviour
{
    Approve,
    TimeoutThenApprove,
    SoftDecline,
    SoftDeclineRateLimited,
    HardDecline,
    AchApprove,
    AchSoftDecline,
}

public sealed record PaymentMethodModel(string Id, string Token, TokenBehaviour Behaviour)
{
    public bool IsAch => Behaviour is TokenBehaviour.AchApprove or TokenBehaviour.AchSoftDecline;

    public bool Approves => Behaviour is TokenBehaviour.Approve or TokenBehaviour.TimeoutThenApprove or TokenBehaviour.AchApprove;

    public bool SoftDeclines => Behaviour is TokenBehaviour.SoftDecline or TokenBehaviour.SoftDeclineRateLimited or TokenBehaviour.AchSoftDecline;

    /// <summary>The decline code the gateway reports (sandbox table).</summary>
    public string DeclineCode => Behaviour switch
    {
        TokenBehaviour.SoftDecline => "insufficient_funds",
        TokenBehaviour.SoftDeclineRateLimited => "card_decline_rate_limit_exceeded",
        TokenBehaviour.AchSoftDecline => "R01",
        _ => "stolen_card",
    };

    public static string TokenFor(TokenBehaviour behaviour) => behaviour switch
    {
        TokenBehaviour.Approve => "pm_sandbox_approve",
        TokenBehaviour.TimeoutThenApprove => "pm_sandbox_timeout_after_charge",
        TokenBehaviour.SoftDecline => "pm_sandbox_insufficient_funds",
        TokenBehaviour.SoftDeclineRateLimited => "pm_sandbox_decline_rate_limited",
        TokenBehaviour.HardDecline => "pm_sandbox_stolen_card",
        TokenBehaviour.AchApprove => "pm_sandbox_ach_approve",
        _ => "pm_sandbox_ach_insufficient_funds",
    };
}

/// <summary>One payer's tie to a client, a matter or an invoice (SPEC §1 Association).</summary>
public sealed record AssociationModel(string Id, Level Level, string Client, string? Matter, string? Invoice)
{
    public string ScopeNumber => Level switch { Level.Client => Client, Level.Matter => Matter!, _ => Invoice! };

    public bool Covers(InvoiceModel invoice) => Level switch
    {
        Level.Client => invoice.Client == Client,
        Level.Matter => invoice.Matter == Matter,
        _ => invoice.Number == Invoice,
    };
}

/// <summary>An MMS invoice and the model's own bookkeeping of what it owes and what was paid on it.</summary>
public sealed class InvoiceModel
{
    public required string Number { get; init; }

    public required string Client { get; init; }

    public required string Matter { get; init; }

    public required DateOnly InvoiceDate { get; init; }

    public required DateOnly DueDate { get; init; }

    public required long Total { get; init; }

    /// <summary>What the invoice owed when the sync agent first reported it (its outstanding balance then).</summary>
    public required long Owed { get; init; }

    /// <summary>All money captured for this invoice by runs (whatever staff later did to the postings).</summary>
    public long Captured { get; set; }

    /// <summary>What the sync agent has reported paid so far: the MMS shows Owed − Reported outstanding.</summary>
    public long Reported { get; set; }

    /// <summary>Payment references the sync agent has listed on the invoice.</summary>
    public List<string> ReportedReferences { get; set; } = [];

    public long MmsOutstanding => Owed - Reported;

    public InvoiceModel Clone() => new()
    {
        Number = Number, Client = Client, Matter = Matter, InvoiceDate = InvoiceDate, DueDate = DueDate, Total = Total, Owed = Owed,
        Captured = Captured, Reported = Reported, ReportedReferences = [.. ReportedReferences],
    };
}

public sealed record PayerModel(string Id, string Name, IReadOnlyList<PaymentMethodModel> Methods, List<AssociationModel> Associations)
{
    public PaymentMethodModel Method(string id) => Methods.Single(m => m.Id == id);
}

public sealed record RunLineModel(string Invoice, long Amount);

/// <summary>One run (one schedule, one date) as the model predicts it.</summary>
public sealed class RunModel
{
    public required DateOnly Date { get; init; }

    public RunStatus Status { get; set; }

    public int Attempt { get; set; }

    public List<RunLineModel> Lines { get; set; } = [];

    public long Amount => Lines.Sum(l => l.Amount);

    /// <summary>Failure, decline or skip code of the current state (compared for Failed, Skipped, AwaitingRetry).</summary>
    public string? Code { get; set; }

    public DateOnly? RetryOn { get; set; }

    /// <summary>Set while the gateway could not confirm the charge: the re-check is due then (SPEC §2.1 "parked").</summary>
    public DateTimeOffset? ParkedUntil { get; set; }

    /// <summary>The method the current attempt charges (the schedule's when it allocated).</summary>
    public string? MethodId { get; set; }

    /// <summary>The cap of the rule the current attempt allocated under (null for pay-all).</summary>
    public long? CapAtAllocation { get; set; }

    /// <summary>Whether the current lines were changed by an approval's re-check (their "available" is older).</summary>
    public bool Approved { get; set; }

    /// <summary>Ever waited for approval: one AwaitingApproval email per subscriber.</summary>
    public bool EverAwaitingApproval { get; set; }

    /// <summary>Lines the failure email lists: declined attempts, MMS failures, parks.</summary>
    public int ListedAttempts { get; set; }

    /// <summary>A payment-plan run that left nothing owed on the plan's invoices when it finished.</summary>
    public bool PaidOffPlan { get; set; }

    /// <summary>Who skipped it, when a person's action did.</summary>
    public string? SkippedBy { get; set; }

    public bool IsFinal => Status is RunStatus.Posted or RunStatus.NothingDue or RunStatus.Failed or RunStatus.Skipped;

    /// <summary>Money reserved for the run's lines and not captured (SPEC §2.3 holds), while it may still charge.</summary>
    public bool Reserves => Status is RunStatus.Allocated or RunStatus.AwaitingApproval;

    public RunModel Clone() => new()
    {
        Date = Date, Status = Status, Attempt = Attempt, Lines = [.. Lines], Code = Code, RetryOn = RetryOn, ParkedUntil = ParkedUntil,
        MethodId = MethodId, CapAtAllocation = CapAtAllocation, Approved = Approved, EverAwaitingApproval = EverAwaitingApproval,
        ListedAttempts = ListedAttempts, PaidOffPlan = PaidOffPlan, SkippedBy = SkippedBy,
    };

    public override string ToString() =>
        $"{ModelCalendar.Iso(Date)} {Status} attempt {Attempt} [{string.Join(", ", Lines.Select(l => $"{l.Invoice}={l.Amount}"))}]"
        + (Code is null ? string.Empty : $" code {Code}") + (RetryOn is { } r ? $" retry {ModelCalendar.Iso(r)}" : string.Empty)
        + (ParkedUntil is { } p ? $" parked until {p:u}" : string.Empty);
}

/// <summary>An Auto-Pay schedule and its runs.</summary>
public sealed class ScheduleModel
{
    public required string Id { get; init; }

    public required string Name { get; set; }

    public required string PayerId { get; init; }

    public required string MethodId { get; set; }

    public required string BankAccountId { get; set; }

    public string? ArMessage { get; set; }

    public required RuleKind Rule { get; set; }

    public long? Cap { get; set; }

    public long? MaxRunAmount { get; set; }

    public required Cadence Cadence { get; set; }

    public required DateOnly FirstRunDate { get; set; }

    /// <summary>No occurrence before this runs: the creation, last resume or last timing change (SPEC: pauses forfeit).</summary>
    public required DateOnly NotBefore { get; set; }

    /// <summary>The latest occurrence of the current cadence handed to the engine.</summary>
    public DateOnly? Cursor { get; set; }

    /// <summary>The latest date ever handed to the engine (whatever the cadence): the next run waits for that one.</summary>
    public DateOnly? LastSent { get; set; }

    public required IReadOnlyList<AssociationModel> Enrolled { get; init; }

    /// <summary>Only invoice-level enrollments: a payment plan without a date cap (SPEC §1 Lifetime).</summary>
    public bool IsPlan => Enrolled.All(a => a.Level == Level.Invoice);

    public ScheduleStatus Status { get; set; }

    public EndKind? EndedAs { get; set; }

    public string? StateChangedBy { get; set; }

    public SortedDictionary<DateOnly, RunModel> Runs { get; set; } = [];

    public DateOnly? LifetimeEnd => IsPlan ? null : ModelCalendar.OneYearAfter(FirstRunDate);

    /// <summary>Paused, or ended by staff: runs that have not charged are skipped (SPEC §2.4).</summary>
    public string? StopCode => Status == ScheduleStatus.Paused ? "paused" : Status == ScheduleStatus.Ended && EndedAs == EndKind.Staff ? "ended" : null;

    /// <summary>The occurrences of the current cadence that may still run, oldest first.</summary>
    public IEnumerable<DateOnly> Remaining()
    {
        foreach (var date in Cadence.Occurrences(FirstRunDate))
        {
            if (LifetimeEnd is { } end && date >= end)
            {
                yield break;
            }

            if (date >= NotBefore && (Cursor is not { } cursor || date > cursor))
            {
                yield return date;
            }
        }
    }

    /// <summary>The schedule's next run date as SPEC's lifetime rule gives it (null when nothing will run in this state).</summary>
    public DateOnly? NextRunDate => Status == ScheduleStatus.Active ? Remaining().Cast<DateOnly?>().FirstOrDefault() : null;

    public ScheduleModel Clone()
    {
        var copy = (ScheduleModel)MemberwiseClone();
        copy.Runs = new SortedDictionary<DateOnly, RunModel>(Runs.ToDictionary(r => r.Key, r => r.Value.Clone()));
        return copy;
    }

    public string Describe() =>
        $"{Id} {Cadence} from {ModelCalendar.Iso(FirstRunDate)} {(IsPlan ? "plan" : "one year")} {Rule}{(Cap is { } c ? $"({c})" : string.Empty)}"
        + $" max {MaxRunAmount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} {Status}"
        + $" scopes [{string.Join(", ", Enrolled.Select(a => $"{a.Level}:{a.ScopeNumber}"))}]";
}

/// <summary>One posting (SPEC §2.5): the invoice a run paid and what staff did to it since.</summary>
public sealed class PostingModel
{
    public required string ScheduleId { get; init; }

    public required DateOnly RunDate { get; init; }

    public required string Invoice { get; init; }

    public required long Amount { get; init; }

    public PostingStatus Status { get; set; }

    /// <summary>The sync agent has reported this payment to the MMS.</summary>
    public bool Reported { get; set; }

    /// <summary>The sync agent will never report it (a firm that forgets).</summary>
    public bool NeverReported { get; init; }

    public PostingModel Clone() => (PostingModel)MemberwiseClone();

    public string Key => $"{ScheduleId}/{ModelCalendar.Iso(RunDate)}/{Invoice}";
}

public sealed record SubscriberModel(string Email, bool Failures, bool Approvals);

/// <summary>A firm: its zone, currency, MMS data, payers, schedules and postings.</summary>
public sealed class FirmModel
{
    public required string Id { get; init; }

    public required string ZoneId { get; init; }

    public required TimeZoneInfo Zone { get; init; }

    public required string Currency { get; init; }

    public required int Exponent { get; init; }

    /// <summary>The firm-wide approval threshold in minor units (explicit, or 25,000 major units by default).</summary>
    public required long ApprovalThreshold { get; init; }

    public required bool ThresholdIsExplicit { get; init; }

    public required IReadOnlyList<SubscriberModel> Subscribers { get; init; }

    public string OperatingAccountId { get; set; } = string.Empty;

    public string TrustAccountId { get; set; } = string.Empty;

    public string StaffUser => $"staff@{Id}.test";

    public Dictionary<string, string> Clients { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Matter number → client number.</summary>
    public Dictionary<string, string> Matters { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, InvoiceModel> Invoices { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, PayerModel> Payers { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, ScheduleModel> Schedules { get; set; } = new(StringComparer.Ordinal);

    public Dictionary<string, PostingModel> Postings { get; set; } = new(StringComparer.Ordinal);

    public int NextInvoiceNumber { get; set; } = 1;

    public DateOnly Today(DateTimeOffset now) => ModelCalendar.TodayIn(Zone, now);

    /// <summary>The firm's money state copied, so that an order of events can be tried on it.</summary>
    public FirmModel Clone()
    {
        var copy = (FirmModel)MemberwiseClone();
        copy.Invoices = Invoices.ToDictionary(i => i.Key, i => i.Value.Clone(), StringComparer.Ordinal);
        copy.Schedules = Schedules.ToDictionary(s => s.Key, s => s.Value.Clone(), StringComparer.Ordinal);
        copy.Postings = Postings.ToDictionary(p => p.Key, p => p.Value.Clone(), StringComparer.Ordinal);
        return copy;
    }

    public string Format(long minor) => Exponent == 0
        ? minor.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : (minor / Math.Pow(10, Exponent)).ToString("F" + Exponent, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Minor units as the API's decimal amount.</summary>
    public decimal Major(long minor)
    {
        var scale = 1m;
        for (var i = 0; i < Exponent; i++)
        {
            scale *= 10;
        }

        return minor / scale;
    }
}

/// <summary>The engine settings the model needs (the values the test host was given).</summary>
public sealed record EngineSettings(int RetryAfterDays, int MaxSoftDeclineRetries, TimeSpan ParkFor, int MmsTries, int GatewayTries);

/// <summary>The world: every firm, and now.</summary>
public sealed class WorldModel
{
    public required EngineSettings Settings { get; init; }

    public DateTimeOffset Now { get; set; }

    public List<FirmModel> Firms { get; } = [];

    public FirmModel Firm(string id) => Firms.Single(f => f.Id == id);

    public (FirmModel Firm, ScheduleModel Schedule) Schedule(string id)
    {
        foreach (var firm in Firms)
        {
            if (firm.Schedules.TryGetValue(id, out var schedule))
            {
                return (firm, schedule);
            }
        }

        throw new KeyNotFoundException(id);
    }
}
