namespace PayConnect.Storage;

/// <summary>A record kept per firm. Its table and row key are derived here and nowhere else.</summary>
public interface IFirmRecord
{
    /// <summary>The table the record lives in (one table per kind).</summary>
    static abstract string Table { get; }

    /// <summary>The record's key within its firm (the row key).</summary>
    string Key { get; }
}

/// <summary>A record as stored, with its concurrency token.</summary>
public sealed record Stored<T>(T Value, string ETag);

/// <summary>One page of a listing; a null continuation means the last page.</summary>
public sealed record RecordPage<T>(IReadOnlyList<T> Items, string? Continuation);

/// <summary>Another writer got there first (insert of an existing key, or a stale ETag).</summary>
public sealed class ConcurrencyException(string message, bool exists) : Exception(message)
{
    /// <summary>True when an insert found the key taken; false when an update found the ETag stale or the record gone.</summary>
    public bool AlreadyExists { get; } = exists;
}

/// <summary>A continuation token that this store did not issue.</summary>
public sealed class InvalidContinuationException() : Exception("The continuation token is not valid.");

/// <summary>
/// Firm-scoped persistence: every call names its firm, and no call can reach another firm's records
/// (the firm is the partition).
/// </summary>
public interface IRecordStore
{
    Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord;

    /// <summary>Inserts; throws <see cref="ConcurrencyException"/> with AlreadyExists when the key is taken.</summary>
    Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord;

    /// <summary>Replaces; with an ETag, throws <see cref="ConcurrencyException"/> when it is stale.</summary>
    Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord;

    Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord;

    /// <summary>Deletes; true when it existed. With an ETag, a stale one throws <see cref="ConcurrencyException"/>.</summary>
    Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord;

    /// <summary>Inserts all or nothing (one firm, one table, at most 100 records).</summary>
    Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord;

    /// <summary>Upserts all or nothing (one firm, one table, at most 100 records).</summary>
    Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord;

    /// <summary>
    /// Lists records whose key starts with <paramref name="keyPrefix"/>, in key order, keeping those that
    /// match <paramref name="filter"/>, a page at a time. The continuation is the last key returned.
    /// </summary>
    Task<RecordPage<Stored<T>>> ListAsync<T>(
        string firmId,
        string keyPrefix,
        int pageSize,
        string? continuation,
        Func<T, bool>? filter,
        CancellationToken cancellationToken)
        where T : IFirmRecord;
}
