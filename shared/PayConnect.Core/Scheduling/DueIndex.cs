using NodaTime;
using NodaTime.Text;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Scheduling;

/// <summary>
/// One entry per schedule that has a next run, partitioned by that run's firm-local date, so the fan-out
/// reads only the dates that can be due now instead of every schedule. A claim (with its ETag) lets one
/// fan-out invocation own an entry while it sends.
/// </summary>
public sealed record DueIndexEntry(string FirmId, string ScheduleId, LocalDate RunDate, string? ClaimedBy = null, Instant? ClaimedAt = null) : IFirmRecord
{
    public static string Table => "DueIndex";

    public string Key => FirmId + "~" + ScheduleId;

    /// <summary>The partition: the run date.</summary>
    public string Partition => PartitionOf(RunDate);

    public static string PartitionOf(LocalDate date) => LocalDatePattern.Iso.Format(date);
}

/// <summary>The oldest date that may still hold index entries; the fan-out sweeps from here.</summary>
public sealed record DueIndexCursor(LocalDate OldestDate) : IFirmRecord
{
    public const string Partition = "_fanout";

    public static string Table => "DueIndex";

    public string Key => "cursor";
}

/// <summary>Keeps the due index in step with a schedule whenever the schedule changes.</summary>
public sealed class DueIndex(IRecordStore store)
{
    /// <summary>Moves the schedule's entry from its old next-run date to the new one (or removes it).</summary>
    public async Task MoveAsync(string firmId, string scheduleId, LocalDate? from, LocalDate? to, CancellationToken ct)
    {
        if (from == to)
        {
            return;
        }

        if (to is { } date)
        {
            await store.UpsertAsync(DueIndexEntry.PartitionOf(date), new DueIndexEntry(firmId, scheduleId, date), ct).ConfigureAwait(false);
            await LowerCursorAsync(date, ct).ConfigureAwait(false);
        }

        if (from is { } old)
        {
            await store.DeleteAsync<DueIndexEntry>(DueIndexEntry.PartitionOf(old), firmId + "~" + scheduleId, null, ct).ConfigureAwait(false);
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
            string? continuation = null;
            do
            {
                var page = await store.ListAsync<DueIndexEntry>(DueIndexEntry.PartitionOf(date), string.Empty, 500, continuation, null, ct).ConfigureAwait(false);
                foreach (var entry in page.Items)
                {
                    if (++read > maxEntries)
                    {
                        return (oldest, false);
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

            // No zone starts the next date before its UTC start less 14 hours: past that, nothing later is older.
            if (oldest is { } found && date.PlusDays(1).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant() - Duration.FromHours(14) >= found)
            {
                break;
            }
        }

        return (oldest, true);
    }

    private async Task LowerCursorAsync(LocalDate date, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await store.GetAsync<DueIndexCursor>(DueIndexCursor.Partition, "cursor", ct).ConfigureAwait(false);
            if (current is not null && current.Value.OldestDate <= date)
            {
                return;
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

                return;
            }
            catch (ConcurrencyException)
            {
            }
        }

        throw new InvalidOperationException("Could not lower the due-index cursor under contention.");
    }
}
