using PayConnect.Storage;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>
/// Table Storage failing at the Nth write (counting from 1) after it is armed: once (a 503 that the next request does
/// not meet), or for good (the process died there: that write and everything after it fails, reads included, until
/// <see cref="Disarm"/> starts it again).
/// </summary>
public sealed class FaultyStore(IRecordStore inner) : IRecordStore
{
    private int _writes;
    private int _failAt;
    private bool _crash;
    private bool _dead;

    /// <summary>Writes since the store was last armed.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>True when the armed write was reached.</summary>
    public bool Hit => _failAt > 0 && Writes >= _failAt;

    public void Arm(int failOnWrite, bool crash)
    {
        _writes = 0;
        _dead = false;
        _crash = crash;
        _failAt = failOnWrite;
    }

    /// <summary>Counts writes without failing any.</summary>
    public void Count() => Arm(int.MaxValue, crash: false);

    public void Disarm()
    {
        _failAt = 0;
        _dead = false;
    }

    public Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Read();
        return inner.GetAsync<T>(firmId, key, cancellationToken);
    }

    public Task<RecordPage<Stored<T>>> ListAsync<T>(string firmId, string keyPrefix, int pageSize, string? continuation, Func<T, bool>? filter, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Read();
        return inner.ListAsync(firmId, keyPrefix, pageSize, continuation, filter, cancellationToken);
    }

    public async Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.InsertAsync(firmId, record, cancellationToken);
    }

    public async Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.ReplaceAsync(firmId, record, ifMatch, cancellationToken);
    }

    public async Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.UpsertAsync(firmId, record, cancellationToken);
    }

    public async Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.DeleteAsync<T>(firmId, key, ifMatch, cancellationToken);
    }

    public async Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        await inner.InsertAllAsync(firmId, records, cancellationToken);
    }

    public async Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        await inner.UpsertAllAsync(firmId, records, cancellationToken);
    }

    public async Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
    {
        Write(writes.Count > 0 ? writes[0].Table : "?");
        return await inner.CommitAsync(firmId, writes, cancellationToken);
    }

    private void Read()
    {
        if (_dead)
        {
            throw new IOException("Table Storage unreachable: the process died (injected).");
        }
    }

    private void Write(string table)
    {
        Read();
        var n = Interlocked.Increment(ref _writes);
        if (_failAt > 0 && n == _failAt)
        {
            _dead = _crash;
            throw new IOException($"Table Storage answered 503 (injected on write {n}, table {table}).");
        }
    }
}
