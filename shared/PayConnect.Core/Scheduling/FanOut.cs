using NodaTime;
using PayConnect.Connect;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Scheduling;

/// <summary>What one fan-out invocation did; <see cref="EntitiesRead"/> counts every stored record it read.</summary>
public sealed record FanOutResult(int RunsSent, int SchedulesAdvanced, int EntitiesRead, int DatesSwept, int Skipped, int Failed);

/// <summary>
/// Finds due runs through the due index (never by reading every schedule) and sends one message per run,
/// including every occurrence missed while nothing ran (catch-up), each once. State, not only the broker's
/// duplicate detection, prevents a re-send: an invocation claims an index entry (ETag) before sending, and
/// moves the schedule's cursor past what it sent before releasing the entry.
/// </summary>
public sealed class FanOut(IRecordStore store, DueIndex index, RunRetries retries, IRunQueue queue, IClock clock)
{
    /// <summary>A claim older than this is taken to belong to a crashed invocation.</summary>
    public static readonly Duration ClaimTimeout = Duration.FromMinutes(5);

    public const int PageSize = 500;

    /// <summary>How many due entries are claimed and sent at once.</summary>
    public int Concurrency { get; init; } = 8;

    public async Task<FanOutResult> RunAsync(string invocationId, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var latest = FirmClock.LatestLocalDate(now);
        var cursor = await index.CursorAsync(ct).ConfigureAwait(false);
        var (retried, reads) = await SendDueRetriesAsync(now, invocationId, ct).ConfigureAwait(false);
        reads++;
        if (cursor is null)
        {
            return new FanOutResult(retried, 0, reads, 0, 0, 0);
        }

        var todayByFirm = new Dictionary<string, LocalDate?>(StringComparer.Ordinal);
        int sent = retried, advanced = 0, skipped = 0, failed = 0, dates = 0;
        LocalDate? oldestRemaining = null;

        for (var date = cursor.Value; date <= latest; date = date.PlusDays(1))
        {
            dates++;
            string? continuation = null;
            do
            {
                var page = await store.ListAsync<DueIndexEntry>(DueIndexEntry.PartitionOf(date), string.Empty, PageSize, continuation, null, ct).ConfigureAwait(false);
                reads += page.Items.Count + 1;
                continuation = page.Continuation;
                var eligible = new List<(Stored<DueIndexEntry> Entry, LocalDate Today)>();
                foreach (var entry in page.Items)
                {
                    var today = await TodayAsync(entry.Value.FirmId).ConfigureAwait(false);
                    var claimedElsewhere = entry.Value.ClaimedBy is not null && entry.Value.ClaimedBy != invocationId
                        && entry.Value.ClaimedAt is { } at && now - at < ClaimTimeout;
                    if (today is null || entry.Value.RunDate > today || claimedElsewhere)
                    {
                        skipped++;
                        oldestRemaining = Min(oldestRemaining, date);
                        continue;
                    }

                    eligible.Add((entry, today.Value));
                }

                // Entries are independent (each claimed by ETag), so they are sent a few at a time.
                var outcomes = new Outcome[eligible.Count];
                await Parallel.ForEachAsync(
                    Enumerable.Range(0, eligible.Count),
                    new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = ct },
                    async (i, token) => outcomes[i] = await SendOneAsync(eligible[i].Entry, eligible[i].Today, invocationId, now, token).ConfigureAwait(false))
                    .ConfigureAwait(false);
                foreach (var outcome in outcomes)
                {
                    reads += outcome.Reads;
                    sent += outcome.Sent;
                    advanced += outcome.Advanced ? 1 : 0;
                    if (outcome.Failed)
                    {
                        failed++;
                        oldestRemaining = Min(oldestRemaining, date);
                    }
                }
            }
            while (continuation is not null);
        }

        // Never past the earliest date any firm can have now: a schedule created meanwhile for "today" at some
        // firm is indexed on a date at or after it, so it is always inside the next sweep.
        var earliest = FirmClock.EarliestLocalDate(now);
        await index.AdvanceCursorAsync(cursor, Min(oldestRemaining, earliest)!.Value, ct).ConfigureAwait(false);
        return new FanOutResult(sent, advanced, reads, dates, skipped, failed);

        async Task<LocalDate?> TodayAsync(string firmId)
        {
            if (!todayByFirm.TryGetValue(firmId, out var today))
            {
                var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct).ConfigureAwait(false);
                reads++;
                today = firm?.Value.TodayAt(now);
                todayByFirm[firmId] = today;
            }

            return today;
        }
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
            return (0, 1);
        }

        try
        {
            await queue.SendRetriesAsync(claimed.Select(c => c.Value).ToList(), ct).ConfigureAwait(false);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            foreach (var entry in claimed)
            {
                await retries.ReleaseAsync(entry, CancellationToken.None).ConfigureAwait(false);
            }

            return (0, claimed.Count + 1);
        }

        // A crash between send and remove leaves the claim to expire and the entry to be sent again with the same
        // MessageId, which the queue's duplicate detection drops.
        foreach (var entry in claimed)
        {
            await retries.RemoveAsync(entry, ct).ConfigureAwait(false);
        }

        return (claimed.Count, claimed.Count + 1);
    }

    private sealed record Outcome(int Sent, bool Advanced, bool Failed, int Reads);

    private async Task<Outcome> SendOneAsync(Stored<DueIndexEntry> entry, LocalDate today, string invocationId, Instant now, CancellationToken ct)
    {
        var partition = entry.Value.Partition;
        Stored<DueIndexEntry> claim;
        try
        {
            claim = await store.ReplaceAsync(partition, entry.Value with { ClaimedBy = invocationId, ClaimedAt = now }, entry.ETag, ct).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
            // Another invocation claimed (or finished) it first.
            return new Outcome(0, false, false, 0);
        }

        var schedule = await store.GetAsync<Schedule>(entry.Value.FirmId, entry.Value.ScheduleId, ct).ConfigureAwait(false);
        if (schedule is null || schedule.Value.NextRunDate != entry.Value.RunDate)
        {
            // The schedule was removed or re-indexed elsewhere since this entry was written: the entry is stale. Its
            // next run keeps an entry of its own even if the write meant to make it failed after the schedule moved on
            // (an invocation that crashed between the two); the upsert is idempotent when it exists.
            if (schedule?.Value.NextRunDate is { } actual)
            {
                await index.MoveAsync(entry.Value.FirmId, entry.Value.ScheduleId, null, actual, ct).ConfigureAwait(false);
            }

            await store.DeleteAsync<DueIndexEntry>(partition, entry.Value.Key, claim.ETag, ct).ConfigureAwait(false);
            return new Outcome(0, false, false, 1);
        }

        var due = schedule.Value.Timeline().DueRuns(today);
        try
        {
            if (due.Count > 0)
            {
                await queue.SendAsync(Dispatches(entry.Value.FirmId, schedule.Value, due), ct).ConfigureAwait(false);
            }
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Not sent: release the claim so the next tick tries again.
            await ReleaseAsync(partition, claim, ct).ConfigureAwait(false);
            return new Outcome(0, false, true, 1);
        }

        var updated = due.Count == 0 ? schedule.Value : AdvancePast(schedule.Value, due[^1]);
        try
        {
            if (due.Count > 0)
            {
                await store.ReplaceAsync(entry.Value.FirmId, updated, schedule.ETag, ct).ConfigureAwait(false);
            }
        }
        catch (ConcurrencyException)
        {
            // The schedule was edited while we sent: the runs are out (duplicate detection and the run record
            // absorb any repeat); keep the claim so it expires and a later tick re-reads the edited schedule.
            return new Outcome(due.Count, false, true, 1);
        }

        if (updated.NextRunDate is { } next)
        {
            await store.UpsertAsync(DueIndexEntry.PartitionOf(next), new DueIndexEntry(entry.Value.FirmId, entry.Value.ScheduleId, next), ct).ConfigureAwait(false);
        }

        await store.DeleteAsync<DueIndexEntry>(partition, entry.Value.Key, claim.ETag, ct).ConfigureAwait(false);
        return new Outcome(due.Count, due.Count > 0, false, 1);
    }

    /// <summary>
    /// The due runs of one schedule, each naming the run sent just before it (the last one sent earlier, then the
    /// previous one of this batch): a run does not allocate while that one is charging (SPEC §2.1, runs in date order).
    /// </summary>
    public static IReadOnlyList<RunDispatch> Dispatches(string firmId, Schedule schedule, IReadOnlyList<LocalDate> due)
    {
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
    /// Moves the schedule's cursor past what was sent. The schedule stays as it is even when nothing is left to send:
    /// it becomes Ended only after its last run has finished (the run engine ends it, SPEC §1 Lifetime).
    /// </summary>
    private Schedule AdvancePast(Schedule schedule, LocalDate lastSent)
    {
        var timeline = schedule.Timeline().MarkScheduled(lastSent);
        return schedule with
        {
            LastScheduledRunDate = timeline.LastScheduledRunDate,
            LastSentRunDate = schedule.LastSentRunDate is { } sent && sent > lastSent ? sent : lastSent,
            NextRunDate = timeline.NextRunDate,
            UpdatedAt = clock.GetCurrentInstant(),
        };
    }

    private async Task ReleaseAsync(string partition, Stored<DueIndexEntry> claim, CancellationToken ct)
    {
        try
        {
            await store.ReplaceAsync(partition, claim.Value with { ClaimedBy = null, ClaimedAt = null }, claim.ETag, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
        }
    }

    private static LocalDate? Min(LocalDate? a, LocalDate b) => a is null || b < a ? b : a;
}
