using System.Collections.Concurrent;
using Azure.Data.Tables;

namespace PayConnect.Infrastructure.Storage;

/// <summary>
/// The Table Storage account (built from <see cref="Configuration.StorageOptions"/>: a connection string locally,
/// the managed identity in Azure). Tables are created on first use, once per process.
/// </summary>
public sealed class TableStorage
{
    private readonly TableServiceClient _service;
    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tables = new(StringComparer.Ordinal);

    public TableStorage(TableServiceClient service, string tablePrefix = "")
    {
        _service = service;
        TablePrefix = tablePrefix;
    }

    /// <summary>Prefix of every table name (tests use one per test class to stay isolated).</summary>
    public string TablePrefix { get; }

    public TableServiceClient Service => _service;

    public async Task<TableClient> TableAsync(string name)
    {
        var lazy = _tables.GetOrAdd(name, n => new Lazy<Task<TableClient>>(() => CreateAsync(n)));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            // A failed create (storage briefly down) must not be remembered for the life of the process.
            _tables.TryRemove(new KeyValuePair<string, Lazy<Task<TableClient>>>(name, lazy));
            throw;
        }
    }

    private async Task<TableClient> CreateAsync(string name)
    {
        var client = _service.GetTableClient(TablePrefix + name);
        await client.CreateIfNotExistsAsync().ConfigureAwait(false);
        return client;
    }
}
