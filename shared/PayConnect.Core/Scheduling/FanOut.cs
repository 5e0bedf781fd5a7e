using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Scheduling;

/// <summary>What one fan-out invocation did; <see cref="EntitiesRead"/> counts every stored record it read.</summary>
public sealed record FanOutResult(int RunsSent, int SchedulesAdvanced, int EntitiesRead, int DatesSwept, int Skipped, int Failed)
{
    /// <summary>Entries whose schedule had to be read (write-aheads, stale entries, a schedule changed since its entry).</summary>
    public int SchedulesRead { get; init; }
}

/// <summary>
/// Finds due runs through the due index (never by reading every schedule) and sends one message per run, including every
/// occurrence missed while nothing ran (catch-up), each once, in pages: one lease per partition, one batched send per
/// page, and entity group transactions for the schedules' cursors, the next entries and the removal of the sent ones.
/// </summary>
/// <remarks>
/// <para>Nothing is sent before the schedule's cursor has moved past it with a write conditional on the ETag the entry
/// carries, so an entry that no longer describes its schedule never sends anything; its group falls back to one write
/// per schedule, and the schedule is read (<see cref="FanOutResult.SchedulesRead"/>).</para>
/// <para>An entry is removed only after its runs were sent and the schedule's next entry written. Until then it is the
/// record of what its cursor write committed: when a later tick finds it and the schedule has moved on, it sends those
/// runs again (same message ids; the queue's duplicate detection and the run record absorb a repeat).</para>
/// </remarks>
public sealed class FanOut(IRecordStore store, DueIndex index, RunRetries retries, IRunQueue queue, IClock clock, ILogger<FanOut>? logger = null)
{
    /// <summary>A lease older than this is taken to belong to a crashed invocation.</summary>
    public static readonly Duration ClaimTimeout = Duration.FromMinutes(5);

    /// <summary>Entries read per query; they are written in transactions of at most <see cref="BatchSize"/>.</summary>
    public const int PageSize = 1000;

    /// <summary>Entities per entity group transaction (Table Storage's limit).</summary>
    public const int BatchSize = 100;

    /// <summary>A transaction's records are kept under this many characters of JSON (Table Storage allows 4 MiB).</summary>
    private const int BatchChars = 1_500_000;

    private readonly IRecordStore _store = store;
    private readonly DueIndex _index = index;
    private readonly IRunQueue _queue = queue;
    private readonly IClock _clock = clock;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Transactions in flight per partition being swept (the partitions of a date are swept in parallel too).</summary>
    public int Concurrency { get; init; } = 4;

    public async Task<FanOutResult> RunAsync(string invocationId, CancellationToken ct)
    {
        var sweep = new Sweep(this, invocationId, _clock.GetCurrentInstant(), ct);
        var latest = FirmClock.LatestLocalDate(sweep.Now);
        var cursor = await _index.CursorAsync(ct).ConfigureAwait(false);
        sweep.Read(cursor is null ? 0 : 1);
        var (retried, reads) = await SendDueRetriesAsync(sweep.Now, invocationId, ct).ConfigureAwait(false);
        sweep.Read(reads);
        sweep.Sent(retried);
        if (cursor is null)
        {
            return sweep.Result(0);
        }

        var dates = 0;
        LocalDate? oldestRemaining = null;
        for (var date = cursor.Value; date <= latest; date = date.PlusDays(1))
        {
            dates++;
            if (await sweep.DateAsync(date).ConfigureAwait(false))
            {
                oldestRemaining = Min(oldestRemaining, date);
            }
        }

        // Never past the earliest date any firm can have now: a schedule created meanwhile for "today" at some
        // firm is indexed on a date at or after it, so it is always inside the next sweep.
        var earliest = FirmClock.EarliestLocalDate(sweep.Now);
        await _index.AdvanceCursorAsync(cursor, Min(oldestRemaining, earliest)!.Value, ct).ConfigureAwait(false);
        return sweep.Result(dates);
    }

    /// <summary>
    /// The due runs of one schedule, each naming the run sent just before it (the last one sent earlier, then the
    /// previous one of this batch): a run does not allocate while that one is charging (SPEC §2.1, runs in date order).
    /// </summary>
    public static IReadOnlyList<RunDispatch> Dispatches(string firmId, Schedule schedule, IReadOnlyList<LocalDate> due)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(due);
        var dispatches = new List<RunDispatch>(due.Count);
        var previous = schedule.LastSentRunDate;
        foreach (var date in due)
        {
            dispatches.Add(new RunDispatch(new RunKey(firmId, schedule.Id, date), previous < date ? previous : null));
            previous = date;
        }

        return dispatches;
    }

    /// <summary>
    /// Moves the schedule's cursor past what is sent. The schedule stays as it is even when nothing is left to send:
    /// it becomes Ended only after its last run has finished (the run engine ends it, SPEC §1 Lifetime).
    /// </summary>
    public static Schedule AdvancePast(Schedule schedule, LocalDate lastSent, Instant now)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var timeline = schedule.Timeline().MarkScheduled(lastSent);
        return schedule with
        {
            LastScheduledRunDate = timeline.LastScheduledRunDate,
            LastSentRunDate = schedule.LastSentRunDate is { } sent && sent > lastSent ? sent : lastSent,
            NextRunDate = timeline.NextRunDate,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Later attempts of runs (soft declines, parked runs) whose time has come: claimed, sent, then removed; a claim
    /// whose send fails is released for the next tick.
    /// </summary>
    private async Task<(int Sent, int Reads)> SendDueRetriesAsync(Instant now, string invocationId, CancellationToken ct)
    {
        var claimed = await retries.ClaimDueAsync(now, 500, invocationId, ClaimTimeout, ct).ConfigureAwait(false);
        if (claimed.Count == 0)
        {
            return (0, 0);
        }

        try
        {
            await _queue.SendRetriesAsync(claimed.Select(c => c.Value).ToList(), ct).ConfigureAwait(false);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            foreach (var entry in claimed)
            {
                await retries.ReleaseAsync(entry, CancellationToken.None).ConfigureAwait(false);
            }

            return (0, claimed.Count);
        }

        // A crash between send and remove leaves the claim to expire and the entry to be sent again with the same
        // MessageId, which the queue's duplicate detection drops.
        foreach (var entry in claimed)
        {
            await retries.RemoveAsync(entry, ct).ConfigureAwait(false);
        }

        return (claimed.Count, claimed.Count);
    }

    private static LocalDate? Min(LocalDate? a, LocalDate b) => a is null || b < a ? b : a;

    /// <summary>An entry whose schedule's due runs go out in this batch: the schedule as the entry carries it, and advanced.</summary>
    private sealed record Due(Stored<DueIndexEntry> Entry, Schedule Schedule, string ScheduleETag, string Zone, IReadOnlyList<LocalDate> Runs, Schedule Advanced)
    {
        public string FirmId => Entry.Value.FirmId;
    }

    /// <summary>One invocation's sweep: its instant, owner id, counters and the firms' zones it has read.</summary>
    private sealed class Sweep(FanOut owner, string invocationId, Instant now, CancellationToken ct)
    {
        private readonly ConcurrentDictionary<string, Task<string?>> _zones = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, LocalDate?> _today = new(StringComparer.Ordinal);
        private int _sent;
        private int _advanced;
        private int _reads;
        private int _skipped;
        private int _failed;
        private int _schedulesRead;

        public Instant Now { get; } = now;

        private IRecordStore Store => owner._store;

        private ILogger Log => owner._logger;

        public void Read(int count) => Interlocked.Add(ref _reads, count);

        public void Sent(int count) => Interlocked.Add(ref _sent, count);

        public FanOutResult Result(int dates) =>
            new(_sent, _advanced, _reads, dates, _skipped, _failed) { SchedulesRead = _schedulesRead };

        /// <summary>
        /// Sweeps one date: each of its partitions under a lease, a page of each at a time, the pages of all of them
        /// handled together (so a firm's schedules of that date share transactions). True when entries are left for a later tick.
        /// </summary>
        public async Task<bool> DateAsync(LocalDate date)
        {
            var partitions = Enumerable.Range(0, DueIndex.Buckets).Select(b => DueIndex.PartitionOf(date, b)).ToList();
            var leases = new ConcurrentDictionary<string, Stored<DueIndexLease>>(StringComparer.Ordinal);
            var left = false;
            try
            {
                var busy = await Task.WhenAll(partitions.Select(p => LeaseAsync(p, leases))).ConfigureAwait(false);
                left = busy.Any(b => b);
                var active = leases.Keys.Order(StringComparer.Ordinal).Select(p => (Partition: p, Continuation: (string?)null)).ToList();
                var held = System.Diagnostics.Stopwatch.StartNew();
                while (active.Count > 0)
                {
                    if (held.Elapsed > (ClaimTimeout / 2).ToTimeSpan())
                    {
                        held.Restart();
                        foreach (var (partition, _) in active.ToList())
                        {
                            if (await owner._index.RenewLeaseAsync(leases[partition], owner._clock.GetCurrentInstant() + ClaimTimeout, ct).ConfigureAwait(false) is { } renewed)
                            {
                                leases[partition] = renewed;
                            }
                            else
                            {
                                // Taken over after it ran out: that partition is another invocation's now.
                                leases.TryRemove(partition, out _);
                                active.RemoveAll(a => a.Partition == partition);
                                left = true;
                            }
                        }
                    }

                    var pages = await Task.WhenAll(active.Select(a => Store.ListAsync<DueIndexEntry>(a.Partition, string.Empty, PageSize, a.Continuation, null, ct))).ConfigureAwait(false);
                    foreach (var page in pages)
                    {
                        Read(page.Items.Count);
                    }

                    left |= await PageAsync(pages.SelectMany(p => p.Items).ToList()).ConfigureAwait(false);
                    active = active.Zip(pages).Where(x => x.Second.Continuation is not null).Select(x => (x.First.Partition, x.Second.Continuation)).ToList();
                }
            }
            finally
            {
                await Task.WhenAll(leases.Values.Select(owner._index.ReleaseLeaseAsync)).ConfigureAwait(false);
            }

            return left;
        }

        /// <summary>Takes the lease on a partition that has entries (into <paramref name="leases"/>); true when another invocation holds it.</summary>
        private async Task<bool> LeaseAsync(string partition, ConcurrentDictionary<string, Stored<DueIndexLease>> leases)
        {
            var probe = await Store.ListAsync<DueIndexEntry>(partition, string.Empty, 1, null, null, ct).ConfigureAwait(false);
            Read(probe.Items.Count);
            if (probe.Items.Count == 0)
            {
                return false;
            }

            if (await owner._index.TryLeaseAsync(partition, invocationId, Now, Now + ClaimTimeout, ct).ConfigureAwait(false) is not { } lease)
            {
                // Another invocation is sending this partition now.
                Interlocked.Increment(ref _skipped);
                return true;
            }

            leases[partition] = lease;
            return false;
        }

        /// <summary>Sends what a page of entries makes due: entries that carry their schedule in one batch, the others one by one.</summary>
        private async Task<bool> PageAsync(IReadOnlyList<Stored<DueIndexEntry>> entries)
        {
            var left = false;
            var batch = new List<Due>();
            var careful = new List<Stored<DueIndexEntry>>();
            foreach (var entry in entries)
            {
                switch (FromEntry(entry))
                {
                    case Due due:
                        batch.Add(due);
                        break;
                    case null when entry.Value.CarriesSchedule() && Today(entry.Value.TimeZone!) is { } today && entry.Value.RunDate > today:
                        // Not yet that date at the firm.
                        Interlocked.Increment(ref _skipped);
                        left = true;
                        break;
                    default:
                        careful.Add(entry);
                        break;
                }
            }

            var (batchLeft, stale) = await SendAsync(batch).ConfigureAwait(false);
            left |= batchLeft;
            careful.AddRange(stale);
            var results = new bool[careful.Count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, careful.Count),
                new ParallelOptions { MaxDegreeOfParallelism = owner.Concurrency, CancellationToken = ct },
                async (i, _) => results[i] = await OneByOneAsync(careful[i]).ConfigureAwait(false)).ConfigureAwait(false);
            return left || results.Any(r => r);
        }

        /// <summary>The entry's due runs when it carries a running schedule indexed on this date that is due at the firm; else null.</summary>
        private Due? FromEntry(Stored<DueIndexEntry> entry)
        {
            var e = entry.Value;
            if (!e.CarriesSchedule() || Today(e.TimeZone!) is not { } today || e.RunDate > today)
            {
                return null;
            }

            var schedule = e.Schedule!;
            if (schedule.Id != e.ScheduleId || !Frequency.TryParse(schedule.Frequency, out _) || DueIndex.IndexedDate(schedule) != e.RunDate)
            {
                return null;
            }

            var runs = schedule.Timeline().DueRuns(today);
            return runs.Count == 0 ? null : new Due(entry, schedule, e.ScheduleETag!, e.TimeZone!, runs, AdvancePast(schedule, runs[^1], Now));
        }

        /// <summary>Today in the zone (resolved once per zone per sweep); null for a zone that does not resolve.</summary>
        private LocalDate? Today(string zoneId) =>
            _today.GetOrAdd(zoneId, id => FirmClock.TryResolveZone(id, out var zone, out _) ? FirmClock.TodayIn(zone, Now) : null);

        /// <summary>
        /// Moves the schedules' cursors (a transaction per firm, each write conditional on the ETag the entry carries),
        /// sends the runs of those that moved in one batch, writes their next entries and removes the sent ones.
        /// Returns whether entries are left for a later tick, and the entries whose schedule changed since they were written.
        /// </summary>
        private async Task<(bool Left, List<Stored<DueIndexEntry>> Stale)> SendAsync(List<Due> batch)
        {
            var stale = new ConcurrentBag<Stored<DueIndexEntry>>();
            if (batch.Count == 0)
            {
                return (false, []);
            }

            var left = false;
            var committed = new ConcurrentBag<(Due Due, string ETag)>();
            var groups = batch.GroupBy(d => d.FirmId, StringComparer.Ordinal)
                .SelectMany(g => Chunks(g.ToList(), d => d.Advanced))
                .ToList();
            var failedCommits = 0;
            await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = owner.Concurrency, CancellationToken = ct }, async (group, _) =>
            {
                var firmId = group[0].FirmId;
                try
                {
                    var etags = await Store.CommitAsync(firmId, group.Select(d => RecordWrite.Replace(d.Advanced, d.ScheduleETag)).ToList(), ct).ConfigureAwait(false);
                    for (var i = 0; i < group.Count; i++)
                    {
                        committed.Add((group[i], etags[i]!));
                    }

                    return;
                }
                catch (ConcurrencyException)
                {
                    // A schedule of the group changed since its entry was written: write them one by one.
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.LogWarning(ex, "Fan-out: the cursors of {Count} schedules of firm {FirmId} could not be written; left for the next tick", group.Count, firmId);
                    Interlocked.Add(ref failedCommits, group.Count);
                    return;
                }

                foreach (var due in group)
                {
                    try
                    {
                        var stored = await Store.ReplaceAsync(firmId, due.Advanced, due.ScheduleETag, ct).ConfigureAwait(false);
                        committed.Add((due, stored.ETag));
                    }
                    catch (ConcurrencyException)
                    {
                        stale.Add(due.Entry);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.LogWarning(ex, "Fan-out: the cursor of schedule {ScheduleId} of firm {FirmId} could not be written; left for the next tick", due.Schedule.Id, firmId);
                        Interlocked.Increment(ref failedCommits);
                    }
                }
            }).ConfigureAwait(false);

            if (failedCommits > 0)
            {
                Interlocked.Add(ref _failed, failedCommits);
                left = true;
            }

            var moved = committed.ToList();
            if (moved.Count == 0)
            {
                return (left, stale.ToList());
            }
            var dispatches = moved.SelectMany(m => Dispatches(m.Due.FirmId, m.Due.Schedule, m.Due.Runs)).ToList();
            var sent = false;
            try
            {
                await owner._queue.SendAsync(dispatches, ct).ConfigureAwait(false);
                sent = true;
                Sent(dispatches.Count);
                Interlocked.Add(ref _advanced, moved.Count);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // The cursors moved but nothing may have been sent: the entries stay, and the next tick sends their runs.
                Log.LogWarning(ex, "Fan-out: {Runs} runs of {Schedules} schedules could not be sent; the next tick sends them", dispatches.Count, moved.Count);
                Interlocked.Add(ref _failed, moved.Count);
                left = true;
            }
            var indexed = await WriteNextEntriesAsync(moved).ConfigureAwait(false);
            if (!sent)
            {
                return (left, stale.ToList());
            }

            var done = moved.Where(m => indexed.Contains(m.Due.Entry.Value.Key)).Select(m => m.Due.Entry).ToList();
            left |= done.Count < moved.Count;
            left |= !await RemoveAsync(done).ConfigureAwait(false);
            return (left, stale.ToList());
        }

        /// <summary>Writes each moved schedule's next entry (a transaction per partition); returns the keys of the entries done.</summary>
        private async Task<HashSet<string>> WriteNextEntriesAsync(List<(Due Due, string ETag)> moved)
        {
            var done = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            var next = new List<(string Partition, string Key, DueIndexEntry Entry)>();
            foreach (var (due, etag) in moved)
            {
                if (DueIndex.IndexedDate(due.Advanced) is { } date)
                {
                    var entry = owner._index.Carrying(due.FirmId, new Stored<Schedule>(due.Advanced, etag), due.Zone, date);
                    next.Add((entry.Partition, due.Entry.Value.Key, entry));
                }
                else
                {
                    // Nothing left to send: the engine ends the schedule after its last run.
                    done[due.Entry.Value.Key] = true;
                }
            }

            var groups = next.GroupBy(n => n.Partition, StringComparer.Ordinal).SelectMany(g => Chunks(g.ToList(), n => n.Entry.Schedule!)).ToList();
            await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = owner.Concurrency, CancellationToken = ct }, async (group, _) =>
            {
                try
                {
                    await Store.CommitAsync(group[0].Partition, group.Select(n => RecordWrite.Upsert(n.Entry)).ToList(), ct).ConfigureAwait(false);
                    foreach (var n in group)
                    {
                        done[n.Key] = true;
                    }

                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.LogInformation("Fan-out: a transaction of {Count} next entries failed ({ErrorType}); writing them one by one", group.Count, ex.GetType().Name);
                }

                foreach (var n in group)
                {
                    try
                    {
                        await Store.UpsertAsync(n.Partition, n.Entry, ct).ConfigureAwait(false);
                        done[n.Key] = true;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // The sent entry stays; the next tick writes the next one from the schedule.
                        Log.LogWarning(ex, "Fan-out: the next entry of schedule {ScheduleId} of firm {FirmId} could not be written", n.Entry.ScheduleId, n.Entry.FirmId);
                    }
                }
            }).ConfigureAwait(false);
            return done.Keys.ToHashSet(StringComparer.Ordinal);
        }

        /// <summary>Removes sent entries (each only if unchanged since read); false when some could not be removed.</summary>
        private async Task<bool> RemoveAsync(List<Stored<DueIndexEntry>> entries)
        {
            var failures = 0;
            var chunks = entries.GroupBy(e => e.Value.Partition, StringComparer.Ordinal).SelectMany(g => g.Chunk(BatchSize)).ToList();
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = owner.Concurrency, CancellationToken = ct }, async (chunk, _) =>
            {
                var partition = chunk[0].Value.Partition;
                try
                {
                    await Store.CommitAsync(partition, chunk.Select(e => RecordWrite.Delete<DueIndexEntry>(e.Value.Key, e.ETag)).ToList(), ct).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // An entry was rewritten (or removed) meanwhile, or the transaction failed: one by one.
                    Log.LogInformation("Fan-out: removing {Count} sent entries together failed ({ErrorType}); removing them one by one", chunk.Length, ex.GetType().Name);
                }

                foreach (var entry in chunk)
                {
                    if (!await DeleteAsync(entry).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }).ConfigureAwait(false);
            return failures == 0;
        }

        /// <summary>Removes one entry if it is unchanged since read; true when it is gone (or was rewritten by someone else).</summary>
        private async Task<bool> DeleteAsync(Stored<DueIndexEntry> entry)
        {
            try
            {
                await Store.DeleteAsync<DueIndexEntry>(entry.Value.Partition, entry.Value.Key, entry.ETag, ct).ConfigureAwait(false);
                return true;
            }
            catch (ConcurrencyException)
            {
                // Rewritten since it was read (a save wrote it ahead): it is someone else's now, and the next tick looks again.
                return false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.LogWarning(ex, "Fan-out: the sent entry of schedule {ScheduleId} of firm {FirmId} could not be removed; the next tick does", entry.Value.ScheduleId, entry.Value.FirmId);
                return false;
            }
        }

        /// <summary>
        /// An entry that does not carry its schedule, or whose schedule changed since it was written: the schedule is read.
        /// Runs its carried version committed but may not have sent go out again; then the entry is made to carry the
        /// schedule and sent like the others if the schedule belongs on this date, or the schedule is indexed where it
        /// belongs and this entry removed. True when the entry is left for a later tick.
        /// </summary>
        private async Task<bool> OneByOneAsync(Stored<DueIndexEntry> entry)
        {
            var e = entry.Value;
            var partition = e.Partition;
            Interlocked.Increment(ref _schedulesRead);
            Stored<Schedule>? schedule;
            string? zone;
            try
            {
                schedule = await Store.GetAsync<Schedule>(e.FirmId, e.ScheduleId, ct).ConfigureAwait(false);
                Read(schedule is null ? 0 : 1);
                zone = await ZoneAsync(e.FirmId).ConfigureAwait(false) ?? e.TimeZone;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.LogWarning(ex, "Fan-out: schedule {ScheduleId} of firm {FirmId} could not be read; left for the next tick", e.ScheduleId, e.FirmId);
                Interlocked.Increment(ref _failed);
                return true;
            }

            if (schedule is null)
            {
                // Removed, or a save that is still storing it wrote this entry ahead.
                return e.IsRecentWriteAhead(Now, DueIndex.WriteAheadGrace) || !await DeleteAsync(entry).ConfigureAwait(false);
            }

            if (zone is null || Today(zone) is not { } today)
            {
                Interlocked.Increment(ref _skipped);
                return true;
            }

            var s = schedule.Value;
            if (e.Schedule is { } carried && e.ScheduleETag != schedule.ETag && s.LastSentRunDate is { } lastSent && Frequency.TryParse(carried.Frequency, out _))
            {
                var committed = carried.Timeline().DueRuns(today).Where(d => d <= lastSent).ToList();
                if (committed.Count > 0)
                {
                    try
                    {
                        await owner._queue.SendAsync(Dispatches(e.FirmId, carried, committed), ct).ConfigureAwait(false);
                        Sent(committed.Count);
                    }
                    catch (Exception ex) when (!ct.IsCancellationRequested)
                    {
                        Log.LogWarning(ex, "Fan-out: runs of schedule {ScheduleId} of firm {FirmId} could not be sent again; the next tick does", e.ScheduleId, e.FirmId);
                        Interlocked.Increment(ref _failed);
                        return true;
                    }
                }
            }

            var belongs = DueIndex.IndexedDate(s);
            if (belongs == e.RunDate)
            {
                Stored<DueIndexEntry> carrying;
                try
                {
                    carrying = await Store.ReplaceAsync(partition, owner._index.Carrying(e.FirmId, schedule, zone, e.RunDate), entry.ETag, ct).ConfigureAwait(false);
                }
                catch (ConcurrencyException)
                {
                    return true;
                }

                if (e.RunDate > today)
                {
                    Interlocked.Increment(ref _skipped);
                    return true;
                }

                var runs = s.Timeline().DueRuns(today);
                if (runs.Count == 0)
                {
                    return true;
                }

                var (left, stale) = await SendAsync([new Due(carrying, s, schedule.ETag, zone, runs, AdvancePast(s, runs[^1], Now))]).ConfigureAwait(false);
                return left || stale.Count > 0;
            }

            if (e.IsRecentWriteAhead(Now, DueIndex.WriteAheadGrace))
            {
                // A save may be storing the schedule that needs this entry right now.
                return true;
            }

            try
            {
                await owner._index.IndexAsync(e.FirmId, schedule, zone, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.LogWarning(ex, "Fan-out: schedule {ScheduleId} of firm {FirmId} could not be indexed on {RunDate}; its old entry stays", e.ScheduleId, e.FirmId, belongs);
                Interlocked.Increment(ref _failed);
                return true;
            }

            return !await DeleteAsync(entry).ConfigureAwait(false);
        }

        private Task<string?> ZoneAsync(string firmId) => _zones.GetOrAdd(firmId, async id =>
        {
            var firm = await Store.GetAsync<FirmSettings>(id, "settings", ct).ConfigureAwait(false);
            Read(firm is null ? 0 : 1);
            return firm?.Value.TimeZone;
        });

        /// <summary>Splits items into transactions: at most <see cref="BatchSize"/> records and about <see cref="BatchChars"/> of JSON each.</summary>
        private static IEnumerable<List<T>> Chunks<T>(List<T> items, Func<T, Schedule> schedule)
        {
            var chunk = new List<T>();
            var size = 0;
            foreach (var item in items)
            {
                var estimate = EstimatedChars(schedule(item));
                if (chunk.Count == BatchSize || (chunk.Count > 0 && size + estimate > BatchChars))
                {
                    yield return chunk;
                    chunk = [];
                    size = 0;
                }

                chunk.Add(item);
                size += estimate;
            }

            if (chunk.Count > 0)
            {
                yield return chunk;
            }
        }

        /// <summary>A generous estimate of a schedule record's JSON length (an entry carries one).</summary>
        private static int EstimatedChars(Schedule s) =>
            2_000 + (s.EnrolledScopes.Count * 200) + (s.EnrolledAssociationIds.Count * 80) + (s.Skips.Count * 200) + (s.ArMessage?.Length ?? 0) + s.Name.Length;
    }
}
