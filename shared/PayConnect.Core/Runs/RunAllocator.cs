using System.Text.Json;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Allocation;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Observability;
using PayConnect.Postings;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// The first step of a run (SPEC §2.3): checks the schedule, waits for the schedule's earlier run, reads the MMS and the
/// holds on the invoices in scope, allocates oldest first up to the amount rule, and commits the run with its holds in
/// one transaction — Allocated, AwaitingApproval above the ceiling, NothingDue, Failed or Skipped.
/// </summary>
public sealed class RunAllocator(
    IRecordStore store,
    RunLedger ledger,
    IMmsConnector mms,
    FirmSettingsCache firms,
    IClock clock,
    RunEngineOptions options,
    ILogger<RunAllocator> logger,
    Notifications.PayerNotices.PreChargeGate? notices = null,
    MakeUp? makeUp = null)
{
    /// <param name="context">The delivery.</param>
    /// <param name="prior">The stored run when this is a new attempt of a soft-declined run; null for a first run.</param>
    /// <param name="cancellationToken">Cancels the work; the stored state stays consistent.</param>
    public Task<RunStep> AllocateAsync(RunContext context, Stored<RunRecord>? prior, CancellationToken cancellationToken) =>
        Telemetry.StepAsync("run allocate", context.RunKey, () => AllocateInSpanAsync(context, prior, cancellationToken));

    private async Task<RunStep> AllocateInSpanAsync(RunContext context, Stored<RunRecord>? prior, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var settings = await firms.GetAsync(context.FirmId, cancellationToken).ConfigureAwait(false);
        var today = FirmClock.TodayIn(settings?.Zone() ?? DateTimeZone.Utc, now);
        var schedule = await store.GetAsync<Schedule>(context.FirmId, context.Key.ScheduleId, cancellationToken).ConfigureAwait(false);
        context.Schedule = schedule;
        context.ScheduleRead = true;
        var begun = RunRecord.Begin(context.Key, prior?.Value, now);

        if (StopReason(schedule?.Value, null, context.Key.RunDate) is { } stop)
        {
            return await SaveAsync(context, prior, begun.Skipped(stop.Code, stop.Why, stop.By, now), [], cancellationToken).ConfigureAwait(false);
        }

        var s = schedule!.Value;
        if (prior is null && context.Message.After is { } after && await WaitForEarlierRunAsync(context, settings, after, now, cancellationToken).ConfigureAwait(false) is { } wait)
        {
            return wait;
        }

        // A payer who gets pre-charge notices is never charged before the notice's lead has passed.
        switch (notices is null ? null : await notices.CheckAsync(settings, s, await context.PayerAsync(store, s.PayerId, cancellationToken).ConfigureAwait(false), context.Key, cancellationToken).ConfigureAwait(false))
        {
            case Notifications.PayerNotices.NoticeGateDecision.Held:
                return RunStep.Done;
            case Notifications.PayerNotices.NoticeGateDecision.Undeliverable undeliverable:
                return await SaveAsync(context, prior, begun.Failed("notice_undeliverable", undeliverable.Why, now), [], cancellationToken).ConfigureAwait(false);
        }

        var charging = s.Charging ?? await ChargingAsync(context.FirmId, s, cancellationToken).ConfigureAwait(false);
        if (charging is null)
        {
            return await SaveAsync(context, prior, begun.Failed("payment_method_missing", "The schedule's payment method or deposit account no longer exists.", now), [], cancellationToken).ConfigureAwait(false);
        }

        var snapshot = new RunSnapshot(s.PayerId, s.PaymentMethodId, charging.PaymentMethodToken, charging.PaymentMethodKind, s.BankAccountId, s.ArMessage, s.Currency)
        {
            MandateId = charging.MandateId,
            DepositKind = charging.DepositKind,
            ConnectedAccountId = charging.ConnectedAccountId,
            Funding = charging.Funding,
        };
        AmountRule rule = AmountRule.PayAll;
        if (s.AmountRule == AmountRuleKind.UpTo)
        {
            var cap = makeUp is null ? s.CapMinor ?? 0 : await makeUp.CapAsync(context.FirmId, s, context.Key.RunDate, context.Message.After, cancellationToken).ConfigureAwait(false);
            if (!AmountRule.TryUpTo(new Money(cap, s.Currency), out var upTo, out var error))
            {
                return await SaveAsync(context, prior, (begun with { Snapshot = snapshot }).Failed("invalid_amount_rule", $"The schedule's amount rule is invalid: {error}", now), [], cancellationToken).ConfigureAwait(false);
            }

            rule = upTo;
        }

        var scopes = await ScopesAsync(context.FirmId, s, cancellationToken).ConfigureAwait(false);
        if (scopes.Count == 0)
        {
            return await SaveAsync(context, prior, begun.NothingDue(snapshot, "Nothing is enrolled.", paysOff: false, now), [], cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<MmsInvoice> invoices;
        try
        {
            invoices = await mms.OutstandingInvoicesAsync(context.FirmId, scopes, cancellationToken).ConfigureAwait(false);
        }
        catch (MmsUnavailableException ex)
        {
            var failures = context.Message.MmsFailures.Append(new RunEvent(now, "MmsUnavailable", "mms_unavailable", "The matter management system could not be reached: " + ex.Message)).ToList();
            if (failures.Count <= options.MmsRetryDelays.Count)
            {
                var delay = options.MmsRetryDelays[failures.Count - 1];
                logger.LogWarning("Run {RunKey}: the MMS could not be reached ({Tries} of {Allowed}); trying again in {Delay}", context.RunKey, failures.Count, options.MmsRetryDelays.Count + 1, delay);
                return Later(context, delay, context.Message with { MmsFailures = failures }, "The MMS could not be reached.", Telemetry.RetryReasons.MmsUnavailable);
            }

            var failed = (begun with { Snapshot = snapshot, Currency = snapshot.Currency, Events = [.. begun.Events, .. failures] })
                .Failed("mms_unavailable", $"The matter management system could not be reached ({failures.Count} tries since {failures[0].At}): {ex.Message}", now);
            return await SaveAsync(context, prior, failed, [], cancellationToken).ConfigureAwait(false);
        }

        var surcharge = await SurchargeAsync(context, settings, snapshot, cancellationToken).ConfigureAwait(false);
        return await AllocateAndCommitAsync(context, prior, begun, s, snapshot, rule, scopes, invoices, settings, today, surcharge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The card surcharge rate of this run (docs/decisions/0037-trust-safe-surcharges.md): the firm's, for a credit card
    /// into an operating account, unless the payer is in a jurisdiction the firm excludes (or unknown while it excludes any).
    /// </summary>
    private async Task<int> SurchargeAsync(RunContext context, FirmSettings? settings, RunSnapshot snapshot, CancellationToken cancellationToken)
    {
        var firm = settings?.Surcharge();
        string? jurisdiction = null;
        if (firm is not null && firm.ExcludedJurisdictions.Count > 0 && snapshot.PaymentMethodKind == PaymentMethodKind.Card && snapshot.DepositKind == BankAccountKind.Operating)
        {
            jurisdiction = (await context.PayerAsync(store, snapshot.PayerId, cancellationToken).ConfigureAwait(false))?.Jurisdiction;
        }

        var decision = Payments.Surcharges.Decide(firm, snapshot.PaymentMethodKind, snapshot.Funding, snapshot.DepositKind, jurisdiction);
        if (firm is not null && !decision.Applies)
        {
            logger.LogInformation("No card surcharge for payer {PayerId}: {WhyNot}", snapshot.PayerId, decision.WhyNot);
        }

        return decision.BasisPoints;
    }

    /// <summary>Why staff stopped the run, if they did (paused, ended, skipped its date, changed its payment method).</summary>
    /// <param name="schedule">The schedule as it is now.</param>
    /// <param name="run">The run, once recorded.</param>
    /// <param name="runDate">The run's date when it is not recorded yet.</param>
    public static (string Code, string Why, string? By)? StopReason(Schedule? schedule, RunRecord? run, LocalDate? runDate = null)
    {
        if (schedule is null)
        {
            return ("schedule_missing", "The schedule no longer exists.", null);
        }

        if (schedule.State == ScheduleState.Paused)
        {
            return ("paused", $"The schedule was paused{By(schedule)} before this run charged.", schedule.StateChangedBy);
        }

        if (schedule.StoppedByStaff)
        {
            return ("ended", $"The schedule was ended{By(schedule)} before this run charged.", schedule.StateChangedBy);
        }

        if ((run?.RunDate ?? runDate) is { } date && schedule.SkipOf(date) is { } skip)
        {
            return ("skipped", skip.Reason is { } reason ? $"Skipped by {skip.By}: {reason}" : $"Skipped by {skip.By}.", skip.By);
        }

        if (run?.Snapshot is { } snapshot && snapshot.PaymentMethodId != schedule.PaymentMethodId)
        {
            return ("payment_method_changed", "The schedule's payment method was changed before this run charged.", schedule.StateChangedBy);
        }

        return null;

        static string By(Schedule s) => s.StateChangedBy is { } by ? " by " + by : string.Empty;
    }

    private async Task<RunStep> AllocateAndCommitAsync(
        RunContext context, Stored<RunRecord>? prior, RunRecord begun, Schedule schedule, RunSnapshot snapshot, AmountRule rule,
        IReadOnlyList<MmsScope> scopes, IReadOnlyList<MmsInvoice> invoices, FirmSettings? settings, LocalDate today, int surchargeBasisPoints, CancellationToken cancellationToken)
    {
        var currency = schedule.Currency;
        var view = invoices.ToDictionary(i => i.Key, i => new MmsInvoiceState(i.OutstandingMinor, i.PaymentReferences.ToHashSet(StringComparer.OrdinalIgnoreCase)), StringComparer.Ordinal);
        var byKey = invoices.ToDictionary(i => i.Key, StringComparer.Ordinal);
        var outstanding = invoices.Select(i => new OutstandingInvoice(i.Key, i.Number, i.ClientNumber, i.MatterNumber, i.InvoiceDate, i.DueDate, new Money(i.OutstandingMinor, i.Currency))).ToList();

        for (var round = 0; round < options.MaxCommitRetries; round++)
        {
            var now = clock.GetCurrentInstant();
            var ledgers = await ledger.LedgersAsync(context.FirmId, invoices.Select(i => i.ClientNumber), cancellationToken).ConfigureAwait(false);
            var (charging, outdated) = await EarlierRunsAsync(context, ledgers, now, cancellationToken).ConfigureAwait(false);
            if (charging is { } date)
            {
                var delay = RunEngineOptions.At(options.PredecessorWaits, context.Message.Generation);
                return Later(context, delay, context.Message with { WaitingSince = context.Message.WaitingSince ?? now }, $"The run of {date:uuuu-MM-dd} is still charging.", Telemetry.RetryReasons.EarlierRunPending);
            }

            if (outdated)
            {
                // An earlier run finished after the ledgers were read: what it held then is free now.
                continue;
            }

            var held = HoldRules.Held(ledgers.Values.Where(l => l is not null).Select(l => l!.Value), view, context.RunKey);
            var next = ledgers.ToDictionary(
                l => l.Key,
                l => l.Value is null ? null : HoldRules.Prune(l.Value.Value, view, (i, client) => scopes.Any(sc => sc.Covers(client, i.MatterNumber, i.InvoiceNumber)), now),
                StringComparer.Ordinal);

            RunRecord run;
            var extra = new List<RecordWrite>();
            switch (Allocator.Allocate(currency, outstanding, held.Select(h => new PendingPosting(h.Key, new Money(h.Value, currency))), rule))
            {
                case AllocationResult.Rejected rejected:
                    run = (begun with { Snapshot = snapshot, Currency = currency }).Failed("allocation_rejected", rejected.Message, now);
                    break;
                case AllocationResult.Allocated allocated:
                    var lines = WithinClientLimit(allocated.Lines);
                    var runLines = lines.Select(l => new RunLine(l.Invoice.InvoiceNumber, l.Invoice.ClientId, l.Invoice.MatterId, l.Amount.Minor, l.Available.Minor,
                        PaymentReference.For(begun.ReferenceKey, l.Invoice.InvoiceNumber))).ToList();
                    run = begun.Allocated(snapshot, runLines, today, paysOff: PaysOff(invoices, ledgers, view, runLines), now, surchargeBasisPoints);
                    run = run with { LeftOwing = LeftOwing(invoices, held, runLines) };
                    if (Ceiling(settings, schedule, run.AmountMinor!.Value) is { } approval)
                    {
                        run = run.AwaitingApproval(approval, now);
                        extra.Add(RecordWrite.Upsert(new ApprovalQueueEntry(context.RunKey, run.ScheduleId, run.RunDate, run.AmountMinor!.Value, currency, now)));
                    }

                    foreach (var client in runLines.GroupBy(l => l.ClientNumber.ToUpperInvariant()))
                    {
                        next[client.Key] = HoldRules.Add(
                            next[client.Key] ?? ClientLedger.Empty(client.First().ClientNumber, now),
                            context.RunKey,
                            client.Select(l => (l.InvoiceNumber, l.MatterNumber, l.AmountMinor, currency, byKey[l.InvoiceNumber.ToUpperInvariant()].OutstandingMinor)),
                            now);
                    }

                    break;
                default:
                    run = begun.NothingDue(snapshot, null, paysOff: PaysOff(invoices, ledgers, view, []), now);
                    break;
            }

            var writes = new List<RecordWrite> { RecordWrite.Save(run, prior) };
            var changed = next.Where(l => l.Value is not null && !ReferenceEquals(l.Value, ledgers[l.Key]?.Value)).ToList();
            writes.AddRange(changed.Select(l => RecordWrite.Save(l.Value!, ledgers[l.Key])));
            writes.AddRange(extra);
            try
            {
                var etags = await ledger.CommitAsync(context.FirmId, writes, cancellationToken).ConfigureAwait(false);
                context.AllocatedHere = run.State == RunState.Allocated;
                for (var i = 0; i < changed.Count; i++)
                {
                    context.Ledgers[changed[i].Key] = new Stored<ClientLedger>(changed[i].Value!, etags[i + 1]!);
                }

                return new RunStep.Next(new Stored<RunRecord>(run, etags[0]!));
            }
            catch (ConcurrencyException ex) when (ex.FailedIndex is > 0)
            {
                // Another run changed one of these clients' holds since they were read: read them again.
                logger.LogInformation("Run {RunKey}: a client ledger changed while allocating (round {Round}); allocating again", context.RunKey, round + 1);
            }
            catch (ConcurrencyException)
            {
                // The run itself was recorded by another delivery (or the store did not say which write failed).
                var stored = await ledger.RunAsync(context.FirmId, context.Key.ScheduleId, context.Key.RunDate, cancellationToken).ConfigureAwait(false);
                if (stored is not null && (prior is null || stored.ETag != prior.ETag))
                {
                    return new RunStep.Next(stored);
                }
            }
        }

        return Later(context, Duration.FromSeconds(5), context.Message, "Other runs kept changing the same clients' holds.", Telemetry.RetryReasons.HoldContention);
    }

    /// <summary>
    /// True when, once this run's lines are captured, nothing in its scopes is owed beyond money already captured: what
    /// unfinished runs merely reserve does not count (they may still fail), so a payment plan is not paid off by them.
    /// </summary>
    private static bool PaysOff(IReadOnlyList<MmsInvoice> invoices, IReadOnlyDictionary<string, Stored<ClientLedger>?> ledgers, IReadOnlyDictionary<string, MmsInvoiceState> view, IReadOnlyList<RunLine> lines)
    {
        var captured = HoldRules.Captured(ledgers.Values.Where(l => l is not null).Select(l => l!.Value), view);
        var paid = lines.GroupBy(l => l.InvoiceNumber.ToUpperInvariant()).ToDictionary(g => g.Key, g => g.Sum(l => l.AmountMinor), StringComparer.Ordinal);
        return invoices.All(i => i.OutstandingMinor - captured.GetValueOrDefault(i.Key) - paid.GetValueOrDefault(i.Key) <= 0);
    }

    /// <summary>Each invoice of the run's scopes less every other hold and this run's lines, oldest first; only what still owes.</summary>
    private static RunLeftOwing LeftOwing(IReadOnlyList<MmsInvoice> invoices, IReadOnlyDictionary<string, long> held, IReadOnlyList<RunLine> lines)
    {
        var paid = lines.ToDictionary(l => l.InvoiceNumber.ToUpperInvariant(), l => l.AmountMinor, StringComparer.Ordinal);
        var owing = invoices
            .OrderBy(i => i.InvoiceDate).ThenBy(i => i.Number, StringComparer.OrdinalIgnoreCase)
            .Select(i => new RunOwing(i.Number, i.MatterNumber, Math.Max(0, i.OutstandingMinor - held.GetValueOrDefault(i.Key) - paid.GetValueOrDefault(i.Key))))
            .Where(o => o.AvailableMinor > 0)
            .ToList();
        return new RunLeftOwing(owing.Sum(o => o.AvailableMinor), owing.Take(RunLeftOwing.MaxListed).ToList());
    }

    /// <summary>A run above the firm's approval threshold or the schedule's maximum waits for approval.</summary>
    private static RunApproval? Ceiling(FirmSettings? settings, Schedule schedule, long amountMinor)
    {
        var firmLimit = settings?.ApprovalThreshold() ?? new FirmSettings(string.Empty, string.Empty, "UTC", schedule.Currency, default).ApprovalThreshold();
        if (schedule.MaxRunAmountMinor is { } max && max < firmLimit)
        {
            return amountMinor > max
                ? new RunApproval($"{Currencies.Format(new Money(amountMinor, schedule.Currency))} is above this Auto-Pay's maximum of {Currencies.Format(new Money(max, schedule.Currency))}.", max)
                : null;
        }

        return amountMinor > firmLimit
            ? new RunApproval($"{Currencies.Format(new Money(amountMinor, schedule.Currency))} is above the firm's approval threshold of {Currencies.Format(new Money(firmLimit, schedule.Currency))}.", firmLimit)
            : null;
    }

    /// <summary>One commit holds at most 100 records: lines of at most <see cref="RunEngineOptions.MaxClientsPerRun"/> clients (oldest first).</summary>
    private List<AllocationLine> WithinClientLimit(IReadOnlyList<AllocationLine> lines)
    {
        var clients = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<AllocationLine>();
        foreach (var line in lines)
        {
            if (clients.Add(line.Invoice.ClientId.ToUpperInvariant()) && clients.Count > options.MaxClientsPerRun)
            {
                break;
            }

            kept.Add(line);
        }

        return kept;
    }

    /// <summary>
    /// Waits while the run sent just before this one (same schedule) has not begun or is between allocation and the end
    /// of its charge; a parked or finished run does not hold it up. Returns null when the run may go on.
    /// </summary>
    private async Task<RunStep?> WaitForEarlierRunAsync(RunContext context, FirmSettings? settings, LocalDate after, Instant now, CancellationToken cancellationToken)
    {
        var earlier = await ledger.RunAsync(context.FirmId, context.Key.ScheduleId, after, cancellationToken).ConfigureAwait(false);
        if (earlier is not null && !earlier.Value.BlocksLaterRuns)
        {
            return null;
        }

        // An earlier run held back by its pre-charge notice's lead is parked, not charging: this run goes on to its own notice.
        if (earlier is null && notices is not null && await notices.HoldsBackAsync(settings, context.Key.ScheduleId, after, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var since = context.Message.WaitingSince ?? now;
        if (now - since >= options.MaxPredecessorWait)
        {
            logger.LogWarning("Run {RunKey} stopped waiting for the earlier run of {EarlierDate} ({State}) after {Waited}; allocating now",
                context.RunKey, after, earlier?.Value.State.ToString() ?? "not begun", now - since);
            return null;
        }

        var delay = RunEngineOptions.At(options.PredecessorWaits, context.Message.Generation);
        return Later(context, delay, context.Message with { WaitingSince = since }, $"The run of {after:uuuu-MM-dd} is {(earlier is null ? "not begun" : "still charging")}.", Telemetry.RetryReasons.EarlierRunPending);
    }

    /// <summary>
    /// SPEC §2.1: a run does not allocate while an earlier run of its schedule is between allocation and the end of its
    /// charge attempt. The fan-out's chain (<see cref="WaitForEarlierRunAsync"/>) orders the runs it sends; an earlier run
    /// that charges again (a soft-declined run's retry, an approved run) shows itself by the reserved holds it keeps on
    /// these clients' invoices, so only then is its record read. Returns the date of such a run still charging (null when
    /// none is, or this run waited too long), and whether one has finished since the ledgers were read (read them again).
    /// </summary>
    private async Task<(LocalDate? Charging, bool Outdated)> EarlierRunsAsync(RunContext context, Dictionary<string, Stored<ClientLedger>?> ledgers, Instant now, CancellationToken cancellationToken)
    {
        var earlier = ledgers.Values
            .SelectMany(l => l?.Value.Invoices ?? [])
            .SelectMany(i => i.Holds)
            .Where(h => !h.Captured && h.RunKey != context.RunKey)
            .Select(h => RunKey.TryParse(h.RunKey, out var key) ? key : (RunKey?)null)
            .Where(k => k is { } key && key.FirmId == context.FirmId && key.ScheduleId == context.Key.ScheduleId && key.RunDate < context.Key.RunDate)
            .Select(k => k!.Value.RunDate)
            .Distinct()
            .Order()
            .ToList();
        foreach (var date in earlier)
        {
            var run = (await ledger.RunAsync(context.FirmId, context.Key.ScheduleId, date, cancellationToken).ConfigureAwait(false))?.Value;
            if (run is { BlocksLaterRuns: true })
            {
                if (context.Message.WaitingSince is { } since && now - since >= options.MaxPredecessorWait)
                {
                    logger.LogWarning("Run {RunKey} stopped waiting for the earlier run of {EarlierDate} after {Waited}; allocating now", context.RunKey, date, now - since);
                    continue;
                }

                logger.LogInformation("Run {RunKey} waits: the run of {EarlierDate} of its schedule is still charging", context.RunKey, date);
                return (date, false);
            }

            // Reserved holds belong to a run that may still charge (waiting for approval, or parked); any other has
            // captured or released them since the ledgers were read.
            if (run is not null && run.State != RunState.AwaitingApproval && run.ParkedUntil is null)
            {
                return (null, true);
            }
        }

        return (null, false);
    }

    /// <summary>For schedules saved before they carried it: what they charge, read from the method and the deposit account.</summary>
    private async Task<ScheduleCharging?> ChargingAsync(string firmId, Schedule schedule, CancellationToken cancellationToken)
    {
        var method = await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(schedule.PayerId, schedule.PaymentMethodId), cancellationToken).ConfigureAwait(false);
        var deposit = await store.GetAsync<BankAccount>(firmId, schedule.BankAccountId, cancellationToken).ConfigureAwait(false);
        return method is null || deposit is null ? null : ScheduleCharging.Of(method.Value, deposit.Value);
    }

    private async Task<IReadOnlyList<MmsScope>> ScopesAsync(string firmId, Schedule schedule, CancellationToken cancellationToken)
    {
        if (schedule.EnrolledScopes.Count > 0 || schedule.EnrolledAssociationIds.Count == 0)
        {
            return schedule.EnrolledScopes.Select(s => s.ToMmsScope()).ToList();
        }

        // Saved before enrollments carried their scopes: read the associations (an enrolled one cannot be deleted).
        var scopes = new List<MmsScope>();
        foreach (var id in schedule.EnrolledAssociationIds.Distinct(StringComparer.Ordinal))
        {
            if (await store.GetAsync<Association>(firmId, Association.KeyOf(schedule.PayerId, id), cancellationToken).ConfigureAwait(false) is { } association)
            {
                scopes.Add(EnrolledScope.Of(association.Value).ToMmsScope());
            }
        }

        return scopes;
    }

    private async Task<RunStep> SaveAsync(RunContext context, Stored<RunRecord>? prior, RunRecord run, IReadOnlyList<RecordWrite> more, CancellationToken cancellationToken)
    {
        try
        {
            var etags = await ledger.CommitAsync(context.FirmId, [RecordWrite.Save(run, prior), .. more], cancellationToken).ConfigureAwait(false);
            return new RunStep.Next(new Stored<RunRecord>(run, etags[0]!));
        }
        catch (ConcurrencyException)
        {
            var stored = await ledger.RunAsync(context.FirmId, context.Key.ScheduleId, context.Key.RunDate, cancellationToken).ConfigureAwait(false);
            return stored is null ? new RunStep.Stop(new MessageOutcome.Retry("The run record changed while it was saved.")) : new RunStep.Next(stored);
        }
    }

    /// <summary>
    /// Sends this delivery again after <paramref name="delay"/> with <paramref name="body"/> (one generation later);
    /// <paramref name="code"/> is the reason's metric tag (<see cref="Telemetry.RetryReasons"/>).
    /// </summary>
    public static RunStep Later(RunContext context, Duration delay, RunMessage body, string reason, string code)
    {
        Telemetry.RetriedLater(code);
        var next = body with { Generation = context.Message.Generation + 1 };
        return new RunStep.Stop(new MessageOutcome.Reschedule(
            delay.ToTimeSpan(), context.Message.NextMessageId(context.MessageId), JsonSerializer.SerializeToUtf8Bytes(next, RecordJson.Options), reason));
    }
}
