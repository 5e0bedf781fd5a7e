using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Scheduling;

/// <summary>
/// Reads the due index by date range: the schedules whose next run falls on each date from <c>from</c> to <c>to</c>, one
/// date's partitions (its buckets) at a time (never every schedule). The payer notices look ahead with it; it only reads, and depends
/// on nothing but <see cref="DueIndexEntry"/>'s partition and its one-entry-per-schedule-at-its-next-run layout.
/// </summary>
public sealed class DueIndexWindow(IRecordStore store)
{
    public async IAsyncEnumerable<DueIndexEntry> EntriesAsync(LocalDate from, LocalDate to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var date = from; date <= to; date = date.PlusDays(1))
        {
            for (var bucket = 0; bucket < DueIndex.Buckets; bucket++)
            {
                string? continuation = null;
                do
                {
                    var page = await store.ListAsync<DueIndexEntry>(DueIndex.PartitionOf(date, bucket), string.Empty, 500, continuation, null, cancellationToken).ConfigureAwait(false);
                    foreach (var entry in page.Items)
                    {
                        yield return entry.Value;
                    }

                    continuation = page.Continuation;
                }
                while (continuation is not null);
            }
        }
    }
}
