using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using PayConnect.Connect;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Infrastructure.Storage;

/// <summary>
/// <see cref="IScheduleScan"/> on Table Storage: every partition of the Schedules table, and the date partitions of the
/// DueIndex table (their keys start with a digit; the cursor, leases and report live under '_' keys).
/// </summary>
public sealed class TableScheduleScan(TableStorage storage) : IScheduleScan
{
    public async IAsyncEnumerable<(string FirmId, Stored<Schedule> Schedule)> SchedulesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(Schedule.Table).ConfigureAwait(false);
        await foreach (var entity in table.QueryAsync<TableEntity>(maxPerPage: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return (TableKeys.Unescape(entity.PartitionKey), TableRecordStore.Read<Schedule>(entity));
        }
    }

    public async IAsyncEnumerable<(string Partition, Stored<DueIndexEntry> Entry)> DueIndexEntriesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(DueIndexEntry.Table).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {"0"} and PartitionKey lt {":"}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var partition = TableKeys.Unescape(entity.PartitionKey);
            if (DueIndex.ParsePartition(partition) is not null)
            {
                yield return (partition, TableRecordStore.Read<DueIndexEntry>(entity));
            }
        }
    }
}
