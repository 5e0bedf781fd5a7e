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
public sealed class ConcurrencyException(string message, bool exists, int? failedIndex = null) : Exception(message)
{
    /// <summary>True when an insert found the key taken; false when an update found the ETag stale or the record gone.</summary>
    public bool AlreadyExists { get; } = exists;

    /// <summary>In a <see cref="IRecordStore.CommitAsync"/>, the position of the write that failed (when the store knows it).</summary>
    public int? FailedIndex { get; } = failedIndex;
}

/// <summary>What one write of an all-or-nothing commit does.</summary>
public enum WriteKind
{
    /// <summary>Adds the record; fails if its key is taken.</summary>
    Insert,

    /// <summary>Replaces the record if its ETag still matches.</summary>
    Replace,

    /// <summary>Adds or replaces the record unconditionally.</summary>
    Upsert,

    /// <summary>Removes the record if its ETag still matches.</summary>
    Delete,
}

/// <summary>
/// One write of an all-or-nothing commit (<see cref="IRecordStore.CommitAsync"/>). Records of different kinds may share a
/// commit when they share a table; the record's key and table come from the record type, as everywhere else.
/// </summary>
public sealed record RecordWrite
{
    private RecordWrite(WriteKind kind, string table, string key, object? record, Type? recordType, string? ifMatch)
    {
        Kind = kind;
        Table = table;
        Key = key;
        Record = record;
        RecordType = recordType;
        IfMatch = ifMatch;
    }

    public WriteKind Kind { get; }

    public string Table { get; }

    public string Key { get; }

    /// <summary>The record to store; null for a delete.</summary>
    public object? Record { get; }

    /// <summary>The record's type (how it is serialized); null for a delete.</summary>
    public Type? RecordType { get; }

    /// <summary>The ETag a replace or delete requires; null means any.</summary>
    public string? IfMatch { get; }

    public static RecordWrite Insert<T>(T record)
        where T : IFirmRecord => new(WriteKind.Insert, T.Table, record.Key, record, typeof(T), null);

    public static RecordWrite Replace<T>(T record, string? ifMatch)
        where T : IFirmRecord => new(WriteKind.Replace, T.Table, record.Key, record, typeof(T), ifMatch);

    public static RecordWrite Upsert<T>(T record)
        where T : IFirmRecord => new(WriteKind.Upsert, T.Table, record.Key, record, typeof(T), null);

    public static RecordWrite Delete<T>(string key, string? ifMatch)
        where T : IFirmRecord => new(WriteKind.Delete, T.Table, key, null, null, ifMatch);

    /// <summary>Inserts when there is no stored version, replaces it (ETag-checked) when there is.</summary>
    public static RecordWrite Save<T>(T record, Stored<T>? stored)
        where T : IFirmRecord => stored is null ? Insert(record) : Replace(record, stored.ETag);
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
    /// Writes all or nothing: one firm, one table, at most 100 writes, each key once. Returns the new ETag of each
    /// write in order (null for a delete). A taken key or a stale ETag throws <see cref="ConcurrencyException"/> naming
    /// the failed write, and nothing is written.
    /// </summary>
    Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken);

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
