using NodaTime;
using NodaTime.Text;
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
