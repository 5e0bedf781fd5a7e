using PayConnect.Integration.Tests.Simulation.Model;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>What goes wrong (or happens twice) while the timers settle the queue after a step.</summary>
public sealed record Disruption(bool MmsDown = false, bool GatewayDown = false, bool StorageFaults = false, bool DuplicateDeliveries = false, bool TwoDrains = false)
{
    public static Disruption None { get; } = new();

    public override string ToString()
    {
        var parts = new List<string>();
        if (MmsDown)
        {
            parts.Add("MMS down");
        }

        if (GatewayDown)
        {
            parts.Add("gateway down");
        }

        if (StorageFaults)
        {
            parts.Add("storage faults");
        }

        if (DuplicateDeliveries)
        {
            parts.Add("duplicate deliveries");
        }

        if (TwoDrains)
        {
            parts.Add("two drains at once");
        }

        return parts.Count == 0 ? "-" : string.Join(", ", parts);
    }
}

/// <summary>One thing that happens to the world; after it the timers settle the queue and everything is checked.</summary>
public abstract record Step
{
    public Disruption Disruption { get; init; } = Disruption.None;

    public abstract string Describe();
}

public sealed record NewInvoice(string Number, string Client, string Matter, DateOnly InvoiceDate, DateOnly DueDate, long Total, long Outstanding);

public sealed record NewClient(string Number, string Name, IReadOnlyList<string> Matters);

/// <summary>A firm signs up: settings, deposit accounts, subscriptions, and its MMS data as the sync agent first sends it.</summary>
public sealed record CreateFirm(
    string FirmId,
    string ZoneId,
    string Currency,
    int Exponent,
    long? ApprovalThreshold,
    IReadOnlyList<SubscriberModel> Subscribers,
    IReadOnlyList<NewClient> Clients,
    IReadOnlyList<NewInvoice> Invoices) : Step
{
    public override string Describe() =>
        $"create firm {FirmId} ({ZoneId}, {Currency}, threshold {ApprovalThreshold?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}) with {Clients.Count} clients, {Invoices.Count} invoices";
}

public sealed record ScopePick(Level Level, string Number);

/// <summary>Staff set up an Auto-Pay: a payer (new, with its methods, or an existing one), associations, the schedule, its enrollments.</summary>
public sealed record CreateSchedule(
    string FirmId,
    string? ExistingPayerId,
    string PayerName,
    IReadOnlyList<TokenBehaviour> NewPayerMethods,
    IReadOnlyList<NewClient> NewClients,
    IReadOnlyList<NewInvoice> NewInvoices,
    IReadOnlyList<ScopePick> Scopes,
    string Name,
    int MethodIndex,
    bool Trust,
    string? ArMessage,
    Cadence Cadence,
    DateOnly FirstRunDate,
    RuleKind Rule,
    long? Cap,
    long? MaxRunAmount) : Step
{
    public override string Describe() =>
        $"{FirmId}: create schedule '{Name}' {Cadence} from {ModelCalendar.Iso(FirstRunDate)} {Rule}{(Cap is { } c ? $"({c})" : string.Empty)} max {MaxRunAmount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}"
        + $" on [{string.Join(", ", Scopes.Select(s => $"{s.Level}:{s.Number}"))}] for {(ExistingPayerId ?? "new payer " + PayerName)} methods [{string.Join(", ", NewPayerMethods)}] method #{MethodIndex}";
}

public sealed record AdvanceClock(TimeSpan By) : Step
{
    public override string Describe() => $"clock +{By.TotalHours:0.#} h";
}

public sealed record IngestInvoices(string FirmId, IReadOnlyList<NewInvoice> Invoices) : Step
{
    public override string Describe() =>
        $"{FirmId}: sync agent sends new invoices {string.Join(", ", Invoices.Select(i => $"{i.Number}({i.Client}/{i.Matter} {ModelCalendar.Iso(i.InvoiceDate)} {i.Outstanding}/{i.Total})"))}";
}

public sealed record ReportedPayment(string PostingKey, bool WithReference);

/// <summary>The sync agent tells the MMS mirror about payments the firm recorded (late, out of order, with or without references).</summary>
public sealed record ReportPayments(string FirmId, IReadOnlyList<ReportedPayment> Payments) : Step
{
    public override string Describe() =>
        $"{FirmId}: sync agent reports {string.Join(", ", Payments.Select(p => p.PostingKey + (p.WithReference ? " with reference" : " balance only")))}";
}

public sealed record PostingAction(string FirmId, string PostingKey, string Action) : Step
{
    public override string Describe() => $"{FirmId}: staff {Action} posting {PostingKey}";
}

public sealed record PauseSchedule(string ScheduleId) : Step
{
    public override string Describe() => $"staff pause {ScheduleId}";
}

public sealed record ResumeSchedule(string ScheduleId) : Step
{
    public override string Describe() => $"staff resume {ScheduleId}";
}

public sealed record EndSchedule(string ScheduleId) : Step
{
    public override string Describe() => $"staff end {ScheduleId}";
}

/// <summary>The schedule's fields after an edit (a PUT sends them all).</summary>
public sealed record ScheduleFields(string Name, string? ArMessage, string MethodId, string BankAccountId, RuleKind Rule, long? Cap, long? MaxRunAmount, Cadence Cadence, DateOnly FirstRunDate);

public sealed record EditSchedule(string ScheduleId, ScheduleFields Fields, bool ChangesTiming) : Step
{
    public override string Describe() =>
        $"staff edit {ScheduleId}{(ChangesTiming ? " (timing)" : string.Empty)}: {Fields.Cadence} from {ModelCalendar.Iso(Fields.FirstRunDate)} {Fields.Rule}{(Fields.Cap is { } c ? $"({c})" : string.Empty)}"
        + $" max {Fields.MaxRunAmount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} method {Fields.MethodId} bank {Fields.BankAccountId}";
}

public sealed record ApproveRun(string ScheduleId, DateOnly Date) : Step
{
    public override string Describe() => $"staff approve {ScheduleId}/{ModelCalendar.Iso(Date)}";
}

public sealed record DeclineRun(string ScheduleId, DateOnly Date) : Step
{
    public override string Describe() => $"staff decline approval of {ScheduleId}/{ModelCalendar.Iso(Date)}";
}
