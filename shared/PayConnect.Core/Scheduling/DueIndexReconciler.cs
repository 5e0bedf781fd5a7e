using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Scheduling;

/// <summary>Reads every schedule of every firm and every entry of the due index: a full scan, for the daily reconciliation only.</summary>
public interface IScheduleScan
{
    IAsyncEnumerable<(string FirmId, Stored<Schedule> Schedule)> SchedulesAsync(CancellationToken cancellationToken);

    /// <summary>The index's run-date partitions only (not its cursor, leases or report).</summary>
    IAsyncEnumerable<(string Partition, Stored<DueIndexEntry> Entry)> DueIndexEntriesAsync(CancellationToken cancellationToken);
}

/// <summary>What a reconciliation repaired.</summary>
public enum DueIndexRepairKind
{
    /// <summary>A running schedule's next run had no entry: written (the schedule could have fallen silent).</summary>
    MissingEntry,

    /// <summary>The entry for the next run described another version of the schedule or another time zone: rewritten.</summary>
    WrongEntry,

    /// <summary>An entry outside the fan-out's sweep for a date the schedule does not run on (or of no schedule): removed.</summary>
    StaleEntry,

    /// <summary>The schedule's stored next run date disagreed with its timeline: saved again.</summary>
    WrongNextRunDate,

    /// <summary>Entries lay before the fan-out's sweep cursor (never swept): the cursor was lowered.</summary>
    CursorLowered,

    /// <summary>A schedule whose last run is final but which stayed Active: ended by the engine's rule.</summary>
    FinishedScheduleEnded,

    /// <summary>A schedule's copy of its payer (<see cref="PayerCopy"/>) disagreed with the payer: the payer's schedules were copied again.</summary>
    PayerCopyRefreshed,
}

/// <summary>One repair: what, and of which schedule.</summary>
public sealed record DueIndexRepair(DueIndexRepairKind Kind, string FirmId, string? ScheduleId, LocalDate? Date);

/// <summary>The result of one reconciliation.</summary>
public sealed record DueIndexReconciliation(int SchedulesChecked, int EntriesChecked, IReadOnlyList<DueIndexRepair> Repairs);

/// <summary>The meter the due index reports on (<c>PayConnect</c>).</summary>
public static class DueIndexMetrics
{
    public const string MeterName = "PayConnect";

    public const string RepairsCounterName = "payconnect.due_index.repairs";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Repairs made by the reconciliation, tagged <c>kind</c> (<see cref="DueIndexRepairKind"/>).</summary>
    public static readonly Counter<long> Repairs = Meter.CreateCounter<long>(RepairsCounterName, unit: "{repair}", description: "Due-index repairs made by the daily reconciliation.");
}

/// <summary>
/// The daily safety net under <see cref="DueIndex"/>: compares every schedule with the index and repairs what is missing
/// or wrong, so that no schedule stays silent for more than a day whatever went wrong, and ends a schedule whose last
/// run is final but which stayed Active. Each repair is logged, counted on <see cref="DueIndexMetrics.Repairs"/> and
/// summed in the report that /api/health shows. Every repair is decided again on fresh point reads, so a save or a
/// fan-out working at the same moment is not mistaken for damage; entries inside the fan-out's sweep are the fan-out's.
/// </summary>
public sealed class DueIndexReconciler(
    IRecordStore store,
    IScheduleScan scan,
    DueIndex index,
    RunLedger ledger,
    RunFollowUp followUp,
    IClock clock,
    ILogger<DueIndexReconciler> logger,
    Payers.PayerCopies? payerCopies = null)
{
    private sealed record EntryInfo(string Partition, LocalDate RunDate, string ETag, string? ScheduleETag, string? TimeZone, bool CarriesSchedule, Instant? WrittenAt, string FirmId, string ScheduleId)
    {
        public bool IsRecentWriteAhead(Instant now) => !CarriesSchedule && WrittenAt is { } at && now - at < DueIndex.WriteAheadGrace;
    }

    public async Task<DueIndexReconciliation> ReconcileAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var latest = FirmClock.LatestLocalDate(now);
        var cursor = await index.CursorAsync(ct).ConfigureAwait(false);
        var repairs = new List<DueIndexRepair>();
        var zones = new Dictionary<string, string?>(StringComparer.Ordinal);
        var payers = new Dictionary<(string FirmId, string PayerId), Payer?>();
        var recopied = new HashSet<(string FirmId, string PayerId)>();

        var entries = new Dictionary<string, List<EntryInfo>>(StringComparer.Ordinal);
        var entriesChecked = 0;
        await foreach (var (partition, stored) in scan.DueIndexEntriesAsync(ct).ConfigureAwait(false))
        {
            entriesChecked++;
            var e = stored.Value;
            var key = DueIndexEntry.KeyOf(e.FirmId, e.ScheduleId);
            if (!entries.TryGetValue(key, out var list))
            {
                entries[key] = list = [];
            }

            list.Add(new EntryInfo(partition, e.RunDate, stored.ETag, e.ScheduleETag, e.TimeZone, e.CarriesSchedule(), e.WrittenAt, e.FirmId, e.ScheduleId));
        }

        var schedulesChecked = 0;
        LocalDate? lowest = null;
        await foreach (var (firmId, schedule) in scan.SchedulesAsync(ct).ConfigureAwait(false))
        {
            schedulesChecked++;
            var key = DueIndexEntry.KeyOf(firmId, schedule.Value.Id);
            var found = entries.Remove(key, out var list) ? list : [];
            var zone = await ZoneAsync(firmId).ConfigureAwait(false);
            var removed = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                await CheckAsync(firmId, schedule, found, zone, removed).ConfigureAwait(false);
                await CheckPayerCopyAsync(firmId, schedule.Value).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Reconciliation could not check schedule {ScheduleId} of firm {FirmId}; the next run looks again", schedule.Value.Id, firmId);
            }

            foreach (var f in found.Where(f => !removed.Contains(f.Partition)))
            {
                lowest = lowest is null || f.RunDate < lowest ? f.RunDate : lowest;
            }
        }

        // Entries of schedules that no longer exist.
        foreach (var f in entries.Values.SelectMany(l => l))
        {
            if (OutsideSweep(f.RunDate) && !f.IsRecentWriteAhead(now)
                && await store.GetAsync<Schedule>(f.FirmId, f.ScheduleId, ct).ConfigureAwait(false) is null
                && await RemoveAsync(f).ConfigureAwait(false))
            {
                Repaired(DueIndexRepairKind.StaleEntry, f.FirmId, f.ScheduleId, f.RunDate, "its schedule no longer exists");
            }
            else
            {
                lowest = lowest is null || f.RunDate < lowest ? f.RunDate : lowest;
            }
        }

        // Entries the fan-out would never reach.
        var current = await index.CursorAsync(ct).ConfigureAwait(false);
        if (lowest is { } oldest && (current is null || oldest < current) && await index.LowerCursorAsync(oldest, ct).ConfigureAwait(false))
        {
            Repaired(DueIndexRepairKind.CursorLowered, "-", null, oldest, "entries lay before the fan-out's sweep cursor");
        }

        var report = new DueIndexReconciliationReport(now, schedulesChecked, entriesChecked, repairs.Count)
        {
            RepairsByKind = repairs.GroupBy(r => r.Kind.ToString()).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
        };
        await store.UpsertAsync(DueIndexCursor.Partition, report, ct).ConfigureAwait(false);
        logger.LogInformation("Due-index reconciliation checked {Schedules} schedules and {Entries} entries; {Repairs} repairs", schedulesChecked, entriesChecked, repairs.Count);
        return new DueIndexReconciliation(schedulesChecked, entriesChecked, repairs);

        bool OutsideSweep(LocalDate date) => date > latest || (cursor is { } c && date < c);

        async Task<string?> ZoneAsync(string firmId)
        {
            if (!zones.TryGetValue(firmId, out var zone))
            {
                zone = (await store.GetAsync<FirmSettings>(firmId, "settings", ct).ConfigureAwait(false))?.Value.TimeZone;
                zones[firmId] = zone;
            }

            return zone;
        }

        // A payer change whose copies a failure interrupted (decision 0043): the payer's schedules are copied again,
        // at most once per payer and pass; each payer is read once per pass.
        async Task CheckPayerCopyAsync(string firmId, Schedule s)
        {
            if (payerCopies is null || s.State == ScheduleState.Ended || s.PayerCopy is not { } copy || recopied.Contains((firmId, s.PayerId)))
            {
                return;
            }

            if (!payers.TryGetValue((firmId, s.PayerId), out var payer))
            {
                payer = (await store.GetAsync<Payer>(firmId, s.PayerId, ct).ConfigureAwait(false))?.Value;
                payers[(firmId, s.PayerId)] = payer;
            }

            if (payer is not null && !PayerCopy.Of(payer).SameAs(copy))
            {
                recopied.Add((firmId, s.PayerId));
                if (await payerCopies.RefreshAsync(firmId, payer, ct).ConfigureAwait(false) > 0)
                {
                    Repaired(DueIndexRepairKind.PayerCopyRefreshed, firmId, s.Id, null, "its copy of the payer was out of date");
                }
            }
        }

        async Task CheckAsync(string firmId, Stored<Schedule> schedule, List<EntryInfo> found, string? firmZone, HashSet<string> removed)
        {
            var s = schedule.Value;
            var zone = firmZone ?? found.FirstOrDefault(f => f.TimeZone is not null)?.TimeZone ?? DateTimeZone.Utc.Id;
            if (s.State == ScheduleState.Active && s.NextRunDate != s.Timeline().NextRunDate)
            {
                if (await FreshAsync(firmId, schedule) is { } fresh)
                {
                    try
                    {
                        var saved = await index.SaveAsync(firmId, fresh, fresh.Value.WithNextRun() with { UpdatedAt = clock.GetCurrentInstant() }, fresh.ETag, zone, ct).ConfigureAwait(false);
                        Repaired(DueIndexRepairKind.WrongNextRunDate, firmId, s.Id, saved.Value.NextRunDate, $"the stored next run date was {s.NextRunDate?.ToString() ?? "none"}");
                        schedule = saved;
                        s = saved.Value;
                    }
                    catch (ConcurrencyException)
                    {
                        // Saved by someone else meanwhile: that save set the date from the timeline.
                        return;
                    }
                }
            }

            if (s.State == ScheduleState.Active && await EndIfFinishedAsync(firmId, s).ConfigureAwait(false))
            {
                Repaired(DueIndexRepairKind.FinishedScheduleEnded, firmId, s.Id, s.LastScheduledRunDate, "its last run is final but it stayed Active");
                schedule = (await store.GetAsync<Schedule>(firmId, s.Id, ct).ConfigureAwait(false))!;
                s = schedule.Value;
            }

            var expected = DueIndex.IndexedDate(s);
            var right = expected is { } d ? DueIndex.PartitionOf(d, firmId, s.Id) : null;
            var entry = found.FirstOrDefault(f => f.Partition == right);
            if (expected is { } date && entry is null)
            {
                // Decided again on fresh reads: a save or the fan-out may have moved the schedule since the scan.
                if (await FreshAsync(firmId, schedule) is { } fresh && await index.EntryAsync(firmId, s.Id, date, ct).ConfigureAwait(false) is null)
                {
                    await index.IndexAsync(firmId, fresh, zone, ct).ConfigureAwait(false);
                    Repaired(DueIndexRepairKind.MissingEntry, firmId, s.Id, date, "its next run had no index entry");
                }
            }
            else if (expected is { } on && entry is not null && OutsideSweep(on) && !entry.IsRecentWriteAhead(now)
                && (!entry.CarriesSchedule || entry.ScheduleETag != schedule.ETag || entry.TimeZone != zone))
            {
                if (await FreshAsync(firmId, schedule) is { } fresh)
                {
                    try
                    {
                        await store.ReplaceAsync(entry.Partition, index.Carrying(firmId, fresh, zone, on), entry.ETag, ct).ConfigureAwait(false);
                        Repaired(DueIndexRepairKind.WrongEntry, firmId, s.Id, on, entry.TimeZone != zone && entry.CarriesSchedule ? "the entry had another time zone" : "the entry described another version of the schedule");
                    }
                    catch (ConcurrencyException)
                    {
                        // Rewritten since the scan: whoever did it wrote it from the schedule.
                    }
                }
            }

            foreach (var stale in found.Where(f => f.Partition != right && OutsideSweep(f.RunDate) && !f.IsRecentWriteAhead(now)))
            {
                if (await FreshAsync(firmId, schedule) is { } fresh && DueIndex.IndexedDate(fresh.Value) != stale.RunDate && await RemoveAsync(stale).ConfigureAwait(false))
                {
                    removed.Add(stale.Partition);
                    Repaired(DueIndexRepairKind.StaleEntry, firmId, s.Id, stale.RunDate, "the schedule does not run on that date");
                }
            }
        }

        // The schedule unchanged since it was read, or null.
        async Task<Stored<Schedule>?> FreshAsync(string firmId, Stored<Schedule> schedule)
        {
            var now2 = await store.GetAsync<Schedule>(firmId, schedule.Value.Id, ct).ConfigureAwait(false);
            return now2 is not null && now2.ETag == schedule.ETag ? now2 : null;
        }

        async Task<bool> RemoveAsync(EntryInfo f)
        {
            try
            {
                return await store.DeleteAsync<DueIndexEntry>(f.Partition, DueIndexEntry.KeyOf(f.FirmId, f.ScheduleId), f.ETag, ct).ConfigureAwait(false);
            }
            catch (ConcurrencyException)
            {
                return false;
            }
        }

        async Task<bool> EndIfFinishedAsync(string firmId, Schedule s)
        {
            if (s.Lifetime == ScheduleLifetime.NoEnrollments || (s.LastScheduledRunDate ?? s.LastSentRunDate) is not { } last)
            {
                return false;
            }

            var finishedByDate = DueIndex.IndexedDate(s) is null && s.Timeline().MarkScheduled(last).IsFinished;
            if (!finishedByDate && s.Lifetime != ScheduleLifetime.PaymentPlan)
            {
                return false;
            }

            var run = await ledger.RunAsync(firmId, s.Id, last, ct).ConfigureAwait(false);
            if (run is null || !run.Value.IsFinal || (!finishedByDate && !(run.Value.PaysOff && run.Value.State is RunState.Posted or RunState.NothingDue)))
            {
                return false;
            }

            // The engine's own rule decides (and checks that no other run of the schedule is unfinished).
            var key = new RunKey(firmId, s.Id, last);
            await followUp.CompleteScheduleAsync(new RunContext(key, new RunMessage(key.Format()), 1), run, ct).ConfigureAwait(false);
            return (await store.GetAsync<Schedule>(firmId, s.Id, ct).ConfigureAwait(false))?.Value.State == ScheduleState.Ended;
        }

        void Repaired(DueIndexRepairKind kind, string firmId, string? scheduleId, LocalDate? date, string why)
        {
            repairs.Add(new DueIndexRepair(kind, firmId, scheduleId, date));
            DueIndexMetrics.Repairs.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
            logger.LogWarning("Due index repaired ({RepairKind}): schedule {ScheduleId} of firm {FirmId}, {RunDate}: {Why}", kind, scheduleId, firmId, date, why);
        }
    }
}
