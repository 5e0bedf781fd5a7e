using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using NodaTime.Text;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Scheduling;

/// <summary>
/// One entry per schedule that has a next run, in the partition of that run's firm-local date and one of
/// <see cref="DueIndex.Buckets"/> buckets (by schedule), so the fan-out reads only dates that can be due and works through
/// a date's buckets in parallel. An entry written after its schedule was stored carries that schedule as stored, the
/// version's ETag and the firm's time zone: the fan-out needs nothing else to send the due runs and advance the
/// schedule's cursor with a write that only succeeds while the schedule is still that version. A write-ahead entry
/// (written before its schedule, see <see cref="DueIndex.SaveAsync"/>) carries none of them; the fan-out reads the schedule.
/// </summary>
public sealed record DueIndexEntry(string FirmId, string ScheduleId, LocalDate RunDate) : IFirmRecord
{
    public static string Table => "DueIndex";

    public string Key => KeyOf(FirmId, ScheduleId);

    /// <summary>The partition: the run date and the schedule's bucket.</summary>
    public string Partition => DueIndex.PartitionOf(RunDate, FirmId, ScheduleId);

    /// <summary>The schedule as stored with <see cref="ScheduleETag"/>; null on a write-ahead entry.</summary>
    public Schedule? Schedule { get; init; }

    /// <summary>The ETag of <see cref="Schedule"/>: the fan-out's write of the schedule is conditional on it.</summary>
    public string? ScheduleETag { get; init; }

    /// <summary>The firm's IANA time zone when the entry was written (the nightly reconciliation corrects a changed one).</summary>
    public string? TimeZone { get; init; }

    /// <summary>When the entry was written: a recent write-ahead may belong to a save still under way.</summary>
    public Instant? WrittenAt { get; init; }

    public static string KeyOf(string firmId, string scheduleId) => firmId + "~" + scheduleId;

    /// <summary>True when the entry carries its schedule, the version's ETag and the zone (the fan-out's fast path).</summary>
    public bool CarriesSchedule() => Schedule is not null && ScheduleETag is not null && TimeZone is not null;

    /// <summary>A write-ahead entry younger than <paramref name="age"/>: its save may not have stored the schedule yet.</summary>
    public bool IsRecentWriteAhead(Instant now, Duration age) => !CarriesSchedule() && WrittenAt is { } at && now - at < age;
}

/// <summary>The oldest date that may still hold index entries; the fan-out sweeps from here.</summary>
public sealed record DueIndexCursor(LocalDate OldestDate) : IFirmRecord
{
    public const string Partition = "_fanout";

    public static string Table => "DueIndex";

    public string Key => "cursor";
}

/// <summary>
/// A fan-out invocation's hold on one partition (date and bucket) while it sends the partition's runs: one lease per
/// partition, renewed as pages go by, instead of a claim per entry. A lease older than its <see cref="Until"/> belongs to
/// an invocation that died; any tick may take it over.
/// </summary>
public sealed record DueIndexLease(string LeasedPartition, string Owner, Instant Until) : IFirmRecord
{
    public const string Partition = "_lease";

    public static string Table => "DueIndex";

    public string Key => LeasedPartition;
}

/// <summary>What the last reconciliation of schedules with the due index found and repaired (counts only).</summary>
public sealed record DueIndexReconciliationReport(Instant RanAt, int SchedulesChecked, int EntriesChecked, int Repairs) : IFirmRecord
{
    public static string Table => "DueIndex";

    public string Key => "reconciliation";

    /// <summary>Repairs by kind (<see cref="DueIndexRepairKind"/> names).</summary>
    public IReadOnlyDictionary<string, int> RepairsByKind { get; init; } = new Dictionary<string, int>();
}

/// <summary>
/// Keeps the due index in step with schedules. Every write of a schedule goes through <see cref="SaveAsync"/>, which keeps
/// this rule whatever write fails or process dies: an Active schedule's next run always has an entry, because the entry
/// is written (ahead) before the schedule that needs it, and an entry is only removed once it is certainly stale.
/// </summary>
public sealed class DueIndex(IRecordStore store, IClock? clock = null, ILogger<DueIndex>? logger = null)
{
    /// <summary>Partitions per date. Fixed: entries are found by it (changing it needs a reconciliation run).</summary>
    public const int Buckets = 4;

    /// <summary>How long a write-ahead entry is left alone when its schedule does not (yet) point at it.</summary>
    public static readonly Duration WriteAheadGrace = Duration.FromMinutes(5);

    private static readonly LocalDatePattern Iso = LocalDatePattern.Iso;

    private readonly IClock _clock = clock ?? SystemClock.Instance;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The partition of a schedule's entry for <paramref name="date"/>: <c>yyyy-MM-dd~bucket</c>.</summary>
    public static string PartitionOf(LocalDate date, string firmId, string scheduleId) => PartitionOf(date, BucketOf(firmId, scheduleId));

    public static string PartitionOf(LocalDate date, int bucket) => Iso.Format(date) + "~" + bucket.ToString(CultureInfo.InvariantCulture);

    /// <summary>The schedule's bucket: a stable hash (FNV-1a) of firm and schedule id, the same in every process.</summary>
    public static int BucketOf(string firmId, string scheduleId)
    {
        ArgumentNullException.ThrowIfNull(firmId);
        ArgumentNullException.ThrowIfNull(scheduleId);
        var hash = 2166136261u;
        foreach (var c in DueIndexEntry.KeyOf(firmId, scheduleId))
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return (int)(hash % Buckets);
    }

    /// <summary>Reads a partition key back: its date and bucket, or null for the index's other partitions.</summary>
    public static (LocalDate Date, int Bucket)? ParsePartition(string partition)
    {
        var at = partition.IndexOf('~', StringComparison.Ordinal);
        return at > 0 && Iso.Parse(partition[..at]) is { Success: true } date
            && int.TryParse(partition[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bucket) && bucket is >= 0 and < Buckets
            ? (date.Value, bucket)
            : null;
    }

    /// <summary>The date a schedule is indexed under: its next run while it runs, otherwise none.</summary>
    public static LocalDate? IndexedDate(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var timeline = schedule.Timeline();
        return timeline.IsRunning ? timeline.NextRunDate : null;
    }

    /// <summary>
    /// Stores <paramref name="updated"/> (an insert when <paramref name="existing"/> is null, else a replace checked against
    /// <paramref name="ifMatch"/> or the read version's ETag) with its index entry kept in step:
    /// 1. a write-ahead entry for its next run (and the sweep cursor lowered to it), 2. the schedule, 3. the entry made to
    /// carry the stored schedule and its ETag, 4. the entry of the replaced version removed when its date moved.
    /// A failure in 1 or 2 changes nothing the fan-out would act on and propagates (the caller answers 500; a retry redoes
    /// every step, even when the date did not change). Steps 3 and 4 only save the fan-out a read or a stale entry later,
    /// so their failure is logged, not thrown: the schedule is saved and its next run indexed.
    /// </summary>
    /// <exception cref="ConcurrencyException">The schedule changed since it was read (or an insert found its id taken).</exception>
    public async Task<Stored<Schedule>> SaveAsync(
        string firmId, Stored<Schedule>? existing, Schedule updated, string? ifMatch, string timeZone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(updated);
        var next = IndexedDate(updated);
        Stored<DueIndexEntry>? ahead = null;
        if (next is { } date)
        {
            ahead = await store.UpsertAsync(PartitionOf(date, firmId, updated.Id), new DueIndexEntry(firmId, updated.Id, date) { WrittenAt = _clock.GetCurrentInstant() }, ct).ConfigureAwait(false);
            await LowerCursorAsync(date, ct).ConfigureAwait(false);
        }

        var stored = existing is null
            ? await store.InsertAsync(firmId, updated, ct).ConfigureAwait(false)
            : await store.ReplaceAsync(firmId, updated, ifMatch ?? existing.ETag, ct).ConfigureAwait(false);

        try
        {
            if (next is { } date2)
            {
                await store.ReplaceAsync(PartitionOf(date2, firmId, updated.Id), Carrying(firmId, stored, timeZone, date2), ahead!.ETag, ct).ConfigureAwait(false);
            }
        }
        catch (ConcurrencyException)
        {
            // Another save or the fan-out rewrote the entry since: theirs is at least as recent as ours.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Schedule {ScheduleId} of firm {FirmId} was saved; its index entry for {RunDate} stays a write-ahead (the fan-out reads the schedule)", updated.Id, firmId, next);
        }

        if (existing?.Value is { } old && IndexedDate(old) is { } oldDate && oldDate != next)
        {
            await RemoveIfOfVersionAsync(firmId, updated.Id, oldDate, existing.ETag, ct).ConfigureAwait(false);
        }

        return stored;
    }

    /// <summary>
    /// Writes the entry a stored schedule needs (carrying it) for its next run, lowering the sweep cursor when needed;
    /// nothing when it does not run. Used to repair the index; an entry carrying an older version is simply replaced.
    /// </summary>
    public async Task<Stored<DueIndexEntry>?> IndexAsync(string firmId, Stored<Schedule> schedule, string timeZone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (IndexedDate(schedule.Value) is not { } date)
        {
            return null;
        }

        var entry = await store.UpsertAsync(PartitionOf(date, firmId, schedule.Value.Id), Carrying(firmId, schedule, timeZone, date), ct).ConfigureAwait(false);
        await LowerCursorAsync(date, ct).ConfigureAwait(false);
        return entry;
    }

    /// <summary>An entry for <paramref name="date"/> carrying the stored schedule.</summary>
    public DueIndexEntry Carrying(string firmId, Stored<Schedule> schedule, string timeZone, LocalDate date)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new DueIndexEntry(firmId, schedule.Value.Id, date)
        {
            Schedule = schedule.Value,
            ScheduleETag = schedule.ETag,
            TimeZone = timeZone,
            WrittenAt = _clock.GetCurrentInstant(),
        };
    }

    public Task<Stored<DueIndexEntry>?> EntryAsync(string firmId, string scheduleId, LocalDate date, CancellationToken ct) =>
        store.GetAsync<DueIndexEntry>(PartitionOf(date, firmId, scheduleId), DueIndexEntry.KeyOf(firmId, scheduleId), ct);

    /// <summary>
    /// Removes the schedule's entry for <paramref name="date"/> only if it carries the schedule version
    /// <paramref name="scheduleETag"/>, which was just replaced: that entry is certainly stale. Anything else there (a
    /// write-ahead, a newer version) is left for the fan-out or the reconciliation. Best effort.
    /// </summary>
    private async Task RemoveIfOfVersionAsync(string firmId, string scheduleId, LocalDate date, string scheduleETag, CancellationToken ct)
    {
        try
        {
            var entry = await EntryAsync(firmId, scheduleId, date, ct).ConfigureAwait(false);
            if (entry is not null && entry.Value.ScheduleETag == scheduleETag)
            {
                await store.DeleteAsync<DueIndexEntry>(PartitionOf(date, firmId, scheduleId), entry.Value.Key, entry.ETag, ct).ConfigureAwait(false);
            }
        }
        catch (ConcurrencyException)
        {
            // Rewritten since it was read: no longer ours to remove.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "The stale index entry of schedule {ScheduleId} of firm {FirmId} for {RunDate} stays; the fan-out removes it", scheduleId, firmId, date);
        }
    }

    public async Task<LocalDate?> CursorAsync(CancellationToken ct) =>
        (await store.GetAsync<DueIndexCursor>(DueIndexCursor.Partition, "cursor", ct).ConfigureAwait(false))?.Value.OldestDate;

    /// <summary>
    /// Moves the cursor from <paramref name="expected"/> to <paramref name="oldestDate"/>; if anyone changed it
    /// since it was read (a schedule indexed on an earlier date lowered it), it is left alone.
    /// </summary>
    public async Task AdvanceCursorAsync(LocalDate? expected, LocalDate oldestDate, CancellationToken ct)
    {
        var current = await store.GetAsync<DueIndexCursor>(DueIndexCursor.Partition, "cursor", ct).ConfigureAwait(false);
        if (current?.Value.OldestDate != expected || expected == oldestDate)
        {
            return;
        }

        try
        {
            if (current is null)
            {
                await store.InsertAsync(DueIndexCursor.Partition, new DueIndexCursor(oldestDate), ct).ConfigureAwait(false);
            }
            else
            {
                await store.ReplaceAsync(DueIndexCursor.Partition, new DueIndexCursor(oldestDate), current.ETag, ct).ConfigureAwait(false);
            }
        }
        catch (ConcurrencyException)
        {
            // Someone else moved it meanwhile; theirs is at least as safe (lower) or the next tick's to fix.
        }
    }

    /// <summary>
    /// When the oldest run that the fan-out should have sent by <paramref name="now"/> but has not became due: the start,
    /// in its firm's zone, of the earliest run date among index entries whose date has begun at their firm (an entry
    /// leaves the index only once its runs are on the queue). Null when nothing due is waiting. Reads the cursor and the
    /// date partitions from it on, at most <paramref name="maxEntries"/> entries; <c>Complete</c> is false when it
    /// stopped there (the answer is then the oldest among what it read).
    /// </summary>
    public async Task<(Instant? DueSince, bool Complete)> OldestUnsentAsync(Instant now, int maxEntries, CancellationToken ct)
    {
        var cursor = await CursorAsync(ct).ConfigureAwait(false);
        if (cursor is null)
        {
            return (null, true);
        }

        var zones = new Dictionary<string, DateTimeZone?>(StringComparer.Ordinal);
        Instant? oldest = null;
        var read = 0;
        for (var date = cursor.Value; date <= FirmClock.LatestLocalDate(now); date = date.PlusDays(1))
        {
            for (var bucket = 0; bucket < Buckets; bucket++)
            {
                string? continuation = null;
                do
                {
                    var page = await store.ListAsync<DueIndexEntry>(PartitionOf(date, bucket), string.Empty, 500, continuation, null, ct).ConfigureAwait(false);
                    foreach (var entry in page.Items)
                    {
                        if (++read > maxEntries)
                        {
                            return (oldest, false);
                        }

                        // An entry that carries its firm's zone needs no settings read; a write-ahead does.
                        var carried = entry.Value.TimeZone is { } id ? DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) : null;
                        if (carried is not null)
                        {
                            zones.TryAdd(entry.Value.FirmId, carried);
                        }

                        if (!zones.TryGetValue(entry.Value.FirmId, out var zone))
                        {
                            zone = (await store.GetAsync<FirmSettings>(entry.Value.FirmId, "settings", ct).ConfigureAwait(false))?.Value.Zone();
                            zones[entry.Value.FirmId] = zone;
                        }

                        // A firm that no longer exists is never sent to (the fan-out skips it): not a lagging run.
                        if (zone is not null && entry.Value.RunDate <= FirmClock.TodayIn(zone, now))
                        {
                            var since = entry.Value.RunDate.AtStartOfDayInZone(zone).ToInstant();
                            oldest = oldest is null || since < oldest ? since : oldest;
                        }
                    }

                    continuation = page.Continuation;
                }
                while (continuation is not null);
            }

            // No zone starts the next date before its UTC start less 14 hours: past that, nothing later is older.
            if (oldest is { } found && date.PlusDays(1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant() - Duration.FromHours(14) >= found)
            {
                break;
            }
        }

        return (oldest, true);
    }

    /// <summary>Makes sure the fan-out sweeps <paramref name="date"/>: lowers the cursor to it when it is later (or missing).</summary>
    /// <returns>True when the cursor was moved.</returns>
    public async Task<bool> LowerCursorAsync(LocalDate date, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await store.GetAsync<DueIndexCursor>(DueIndexCursor.Partition, "cursor", ct).ConfigureAwait(false);
            if (current is not null && current.Value.OldestDate <= date)
            {
                return false;
            }

            try
            {
                if (current is null)
                {
                    await store.InsertAsync(DueIndexCursor.Partition, new DueIndexCursor(date), ct).ConfigureAwait(false);
                }
                else
                {
                    await store.ReplaceAsync(DueIndexCursor.Partition, new DueIndexCursor(date), current.ETag, ct).ConfigureAwait(false);
                }

                return true;
            }
            catch (ConcurrencyException)
            {
            }
        }

        throw new InvalidOperationException("Could not lower the due-index cursor under contention.");
    }

    /// <summary>Takes the lease on a partition for <paramref name="owner"/> until <paramref name="until"/>; null when another owner holds it.</summary>
    public async Task<Stored<DueIndexLease>?> TryLeaseAsync(string partition, string owner, Instant now, Instant until, CancellationToken ct)
    {
        var current = await store.GetAsync<DueIndexLease>(DueIndexLease.Partition, partition, ct).ConfigureAwait(false);
        if (current is not null && current.Value.Owner != owner && current.Value.Until > now)
        {
            return null;
        }

        try
        {
            var lease = new DueIndexLease(partition, owner, until);
            return current is null
                ? await store.InsertAsync(DueIndexLease.Partition, lease, ct).ConfigureAwait(false)
                : await store.ReplaceAsync(DueIndexLease.Partition, lease, current.ETag, ct).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
            return null;
        }
    }

    /// <summary>Extends a held lease; null when it was lost (taken over after it ran out).</summary>
    public async Task<Stored<DueIndexLease>?> RenewLeaseAsync(Stored<DueIndexLease> lease, Instant until, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            return await store.ReplaceAsync(DueIndexLease.Partition, lease.Value with { Until = until }, lease.ETag, ct).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
            return null;
        }
    }

    /// <summary>Gives a lease up (best effort: an unreleased lease runs out by itself).</summary>
    public async Task ReleaseLeaseAsync(Stored<DueIndexLease> lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            await store.DeleteAsync<DueIndexLease>(DueIndexLease.Partition, lease.Value.Key, lease.ETag, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogInformation("The fan-out lease on {Partition} was not released ({ErrorType}); it runs out by itself", lease.Value.LeasedPartition, ex.GetType().Name);
        }
    }

    /// <summary>The last reconciliation's report, if one ran.</summary>
    public async Task<DueIndexReconciliationReport?> LastReconciliationAsync(CancellationToken ct) =>
        (await store.GetAsync<DueIndexReconciliationReport>(DueIndexCursor.Partition, "reconciliation", ct).ConfigureAwait(false))?.Value;
}
