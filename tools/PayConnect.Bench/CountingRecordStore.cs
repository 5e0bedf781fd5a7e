using PayConnect.Storage;

namespace PayConnect.Bench;

/// <summary>Counts the entities read and the storage operations made through the store.</summary>
public sealed class CountingRecordStore(IRecordStore inner) : IRecordStore
{
    private long _entitiesRead;
    private long _operations;

    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    public long Operations => Interlocked.Read(ref _operations);

    public void Reset()
    {
        Interlocked.Exchange(ref _entitiesRead, 0);
        Interlocked.Exchange(ref _operations, 0);
    }

    public async Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Interlocked.Increment(ref _operations);
        var result = await inner.GetAsync<T>(firmId, key, cancellationToken);
        if (result is not null)
        {
            Interlocked.Increment(ref _entitiesRead);
        }

        return result;
    }

    public Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord => Count(inner.InsertAsync(firmId, record, cancellationToken));

    public Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord => Count(inner.ReplaceAsync(firmId, record, ifMatch, cancellationToken));

    public Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord => Count(inner.UpsertAsync(firmId, record, cancellationToken));

    public Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord => Count(inner.DeleteAsync<T>(firmId, key, ifMatch, cancellationToken));

    public Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => Count(inner.InsertAllAsync(firmId, records, cancellationToken));

    public Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => Count(inner.UpsertAllAsync(firmId, records, cancellationToken));

    public Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken) =>
        Count(inner.CommitAsync(firmId, writes, cancellationToken));

    public async Task<RecordPage<Stored<T>>> ListAsync<T>(string firmId, string keyPrefix, int pageSize, string? continuation, Func<T, bool>? filter, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Interlocked.Increment(ref _operations);
        var examined = 0;
        var page = await inner.ListAsync<T>(firmId, keyPrefix, pageSize, continuation, r =>
        {
            Interlocked.Increment(ref examined);
            return filter is null || filter(r);
        }, cancellationToken);
        Interlocked.Add(ref _entitiesRead, examined);
        return page;
    }

    private async Task<TResult> Count<TResult>(Task<TResult> task)
    {
        Interlocked.Increment(ref _operations);
        return await task;
    }

    private async Task Count(Task task)
    {
        Interlocked.Increment(ref _operations);
        await task;
    }
}
