using System.Collections.Concurrent;
using PayConnect.Storage;

namespace PayConnect.Bench;

/// <summary>Counts the entities read and the storage operations made through the store.</summary>
public sealed class CountingRecordStore(IRecordStore inner) : IRecordStore
{
    private long _entitiesRead;
    private long _operations;
    private readonly ConcurrentDictionary<string, long> _byKind = new(StringComparer.Ordinal);

    public long EntitiesRead => Interlocked.Read(ref _entitiesRead);

    public long Operations => Interlocked.Read(ref _operations);

    /// <summary>Operations by kind ("Get Payer", "Commit RunRecord+Hold", ...), to see where a run's operations go.</summary>
    public IReadOnlyDictionary<string, long> ByKind => _byKind;

    public void Reset()
    {
        _byKind.Clear();
        Interlocked.Exchange(ref _entitiesRead, 0);
        Interlocked.Exchange(ref _operations, 0);
    }

    public async Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Tally("Get " + typeof(T).Name);
        var result = await inner.GetAsync<T>(firmId, key, cancellationToken);
        if (result is not null)
        {
            Interlocked.Increment(ref _entitiesRead);
        }

        return result;
    }

    public Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord => Count("Insert " + typeof(T).Name, inner.InsertAsync(firmId, record, cancellationToken));

    public Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord => Count("Replace " + typeof(T).Name, inner.ReplaceAsync(firmId, record, ifMatch, cancellationToken));

    public Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord => Count("Upsert " + typeof(T).Name, inner.UpsertAsync(firmId, record, cancellationToken));

    public Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord => Count("Delete " + typeof(T).Name, inner.DeleteAsync<T>(firmId, key, ifMatch, cancellationToken));

    public Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => Count("InsertAll " + typeof(T).Name, inner.InsertAllAsync(firmId, records, cancellationToken));

    public Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => Count("UpsertAll " + typeof(T).Name, inner.UpsertAllAsync(firmId, records, cancellationToken));

    public Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken) =>
        Count("Commit " + string.Join("+", writes.Select(w => w.RecordType?.Name ?? w.Kind.ToString()).Distinct()), inner.CommitAsync(firmId, writes, cancellationToken));

    public async Task<RecordPage<Stored<T>>> ListAsync<T>(string firmId, string keyPrefix, int pageSize, string? continuation, Func<T, bool>? filter, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Tally("List " + typeof(T).Name);
        var examined = 0;
        var page = await inner.ListAsync<T>(firmId, keyPrefix, pageSize, continuation, r =>
        {
            Interlocked.Increment(ref examined);
            return filter is null || filter(r);
        }, cancellationToken);
        Interlocked.Add(ref _entitiesRead, examined);
        return page;
    }

    private void Tally(string kind)
    {
        Interlocked.Increment(ref _operations);
        _byKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    private async Task<TResult> Count<TResult>(string kind, Task<TResult> task)
    {
        Tally(kind);
        return await task;
    }

    private async Task Count(string kind, Task task)
    {
        Tally(kind);
        await task;
    }
}
