using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using PayConnect.Storage;

namespace PayConnect.Infrastructure.Storage;

/// <summary>
/// <see cref="IRecordStore"/> on Table Storage: one table per record kind (or several kinds that commit together),
/// PartitionKey = firm id, RowKey = the record's key (escaped), the record itself as JSON in <c>Json</c>, continued in
/// <c>Json1</c>, <c>Json2</c>, … when it is longer than one string property may be (64 KiB).
/// </summary>
public sealed class TableRecordStore(TableStorage storage) : IRecordStore
{
    private const string JsonProperty = "Json";

    /// <summary>UTF-16 characters per JSON property: Table Storage allows 64 KiB (32 K characters) per string.</summary>
    private const int JsonChunk = 30_000;

    /// <summary>An entity is at most 1 MiB; keep the JSON well inside it.</summary>
    private const int MaxJsonLength = 480_000;

    public async Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(
            TableKeys.Escape(firmId), TableKeys.Escape(key), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? Read<T>(response.Value!) : null;
    }

    public async Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        var entity = Write(firmId, record);
        try
        {
            var response = await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return new Stored<T>(record, response.Headers.ETag?.ToString() ?? string.Empty);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            throw new ConcurrencyException($"{T.Table} '{record.Key}' already exists.", exists: true);
        }
    }

    public async Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        var entity = Write(firmId, record);
        try
        {
            var response = await table.UpdateEntityAsync(
                entity, ifMatch is null ? ETag.All : new ETag(ifMatch), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return new Stored<T>(record, response.Headers.ETag?.ToString() ?? string.Empty);
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            throw new ConcurrencyException($"{T.Table} '{record.Key}' changed or was removed.", exists: false);
        }
    }

    public async Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        var response = await table.UpsertEntityAsync(Write(firmId, record), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return new Stored<T>(record, response.Headers.ETag?.ToString() ?? string.Empty);
    }

    public async Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        try
        {
            var response = await table.DeleteEntityAsync(
                TableKeys.Escape(firmId), TableKeys.Escape(key), ifMatch is null ? ETag.All : new ETag(ifMatch), cancellationToken).ConfigureAwait(false);
            return response.Status != 404;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            throw new ConcurrencyException($"{T.Table} '{key}' changed.", exists: false);
        }
    }

    public Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => SubmitAsync(firmId, records, TableTransactionActionType.Add, cancellationToken);

    public Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => SubmitAsync(firmId, records, TableTransactionActionType.UpsertReplace, cancellationToken);

    public async Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return [];
        }

        if (writes.Count > 100)
        {
            throw new ArgumentException("An all-or-nothing write holds at most 100 records.", nameof(writes));
        }

        var tableName = writes[0].Table;
        if (writes.Any(w => w.Table != tableName))
        {
            throw new ArgumentException("An all-or-nothing write stays in one table.", nameof(writes));
        }

        var table = await storage.TableAsync(tableName).ConfigureAwait(false);
        var partition = TableKeys.Escape(firmId);
        var actions = writes.Select(w => w.Kind switch
        {
            WriteKind.Insert => new TableTransactionAction(TableTransactionActionType.Add, Write(partition, w.Key, w.Record!, w.RecordType!)),
            WriteKind.Upsert => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Write(partition, w.Key, w.Record!, w.RecordType!)),
            WriteKind.Replace => new TableTransactionAction(
                TableTransactionActionType.UpdateReplace, Write(partition, w.Key, w.Record!, w.RecordType!), w.IfMatch is null ? ETag.All : new ETag(w.IfMatch)),
            _ => new TableTransactionAction(
                TableTransactionActionType.Delete, new TableEntity(partition, TableKeys.Escape(w.Key)), w.IfMatch is null ? ETag.All : new ETag(w.IfMatch)),
        }).ToList();
        try
        {
            var response = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return writes.Select((w, i) => w.Kind == WriteKind.Delete ? null : response.Value[i].Headers.ETag?.ToString()).ToList();
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            var index = ex.FailedTransactionActionIndex;
            var key = index is int i && i < writes.Count ? writes[i].Key : "?";
            throw new ConcurrencyException(
                ex.Status == 409 ? $"{tableName} '{key}' already exists." : $"{tableName} '{key}' changed or was removed.",
                exists: ex.Status == 409,
                failedIndex: index);
        }
    }

    public async Task<RecordPage<Stored<T>>> ListAsync<T>(
        string firmId,
        string keyPrefix,
        int pageSize,
        string? continuation,
        Func<T, bool>? filter,
        CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        var prefix = TableKeys.Escape(keyPrefix);
        var after = continuation is null ? null : TableKeys.DecodeContinuation(continuation);
        var query = new StringBuilder(TableClient.CreateQueryFilter($"PartitionKey eq {TableKeys.Escape(firmId)}"));
        if (prefix.Length > 0)
        {
            query.Append(" and ").Append(TableClient.CreateQueryFilter($"RowKey ge {prefix} and RowKey lt {TableKeys.PrefixEnd(prefix)}"));
        }

        if (after is not null)
        {
            query.Append(" and ").Append(TableClient.CreateQueryFilter($"RowKey gt {after}"));
        }

        var items = new List<Stored<T>>(pageSize);
        string? lastRowKey = null;
        var more = false;
        await foreach (var entity in table.QueryAsync<TableEntity>(query.ToString(), maxPerPage: Math.Min(1000, Math.Max(pageSize, 100)), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == pageSize)
            {
                more = true;
                break;
            }

            lastRowKey = entity.RowKey;
            var stored = Read<T>(entity);
            if (filter is null || filter(stored.Value))
            {
                items.Add(stored);
            }
        }

        return new RecordPage<Stored<T>>(items, more && lastRowKey is not null ? TableKeys.EncodeContinuation(lastRowKey) : null);
    }

    private async Task SubmitAsync<T>(string firmId, IReadOnlyList<T> records, TableTransactionActionType action, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        if (records.Count == 0)
        {
            return;
        }

        if (records.Count > 100)
        {
            throw new ArgumentException("An all-or-nothing write holds at most 100 records.", nameof(records));
        }

        var table = await storage.TableAsync(T.Table).ConfigureAwait(false);
        var actions = records.Select(r => new TableTransactionAction(action, Write(firmId, r))).ToList();
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            var key = ex.FailedTransactionActionIndex is int i && i < records.Count ? records[i].Key : "?";
            throw new ConcurrencyException($"{T.Table} '{key}' already exists.", exists: true);
        }
    }

    private static TableEntity Write<T>(string firmId, T record)
        where T : IFirmRecord => Write(TableKeys.Escape(firmId), record.Key, record, typeof(T));

    private static TableEntity Write(string partition, string key, object record, Type type)
    {
        var json = JsonSerializer.Serialize(record, type, RecordJson.Options);
        if (json.Length > MaxJsonLength)
        {
            throw new InvalidOperationException($"Record '{key}' is {json.Length} characters of JSON; at most {MaxJsonLength} fit in one entity.");
        }

        var entity = new TableEntity(partition, TableKeys.Escape(key));
        for (int at = 0, part = 0; at < json.Length || part == 0; at += JsonChunk, part++)
        {
            entity[part == 0 ? JsonProperty : JsonProperty + part.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                json.Substring(at, Math.Min(JsonChunk, json.Length - at));
        }

        return entity;
    }

    /// <summary>Reads a record from its entity (the scans of whole tables use it too).</summary>
    internal static Stored<T> Read<T>(TableEntity entity)
        where T : IFirmRecord
    {
        var json = entity.GetString(JsonProperty) ?? throw new InvalidDataException($"Entity {entity.RowKey} has no JSON.");
        if (entity.ContainsKey(JsonProperty + "1"))
        {
            var builder = new StringBuilder(json);
            for (var part = 1; entity.GetString(JsonProperty + part.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } more; part++)
            {
                builder.Append(more);
            }

            json = builder.ToString();
        }

        var value = JsonSerializer.Deserialize<T>(json, RecordJson.Options) ?? throw new InvalidDataException($"Entity {entity.RowKey} is empty.");
        return new Stored<T>(value, entity.ETag.ToString());
    }
}

/// <summary>Escapes keys into characters Table Storage allows in PartitionKey/RowKey, preserving order of plain ids.</summary>
public static class TableKeys
{
    public static string Escape(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>The key <see cref="Escape"/> was given.</summary>
    public static string Unescape(string escaped)
    {
        ArgumentNullException.ThrowIfNull(escaped);
        if (!escaped.Contains('%', StringComparison.Ordinal))
        {
            return escaped;
        }

        var builder = new StringBuilder(escaped.Length);
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '%' && i + 2 < escaped.Length
                && int.TryParse(escaped.AsSpan(i + 1, 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                builder.Append((char)code);
                i += 2;
            }
            else
            {
                builder.Append(escaped[i]);
            }
        }

        return builder.ToString();
    }

    public static string PrefixEnd(string prefix) => prefix + '\uffff';

    public static string EncodeContinuation(string rowKey) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes("k1:" + rowKey)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string DecodeContinuation(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            return text.StartsWith("k1:", StringComparison.Ordinal) ? text[3..] : throw new InvalidContinuationException();
        }
        catch (FormatException)
        {
            throw new InvalidContinuationException();
        }
    }
}
