using System.Collections.Concurrent;
using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Connect;

/// <summary>
/// Firm settings as the engine and the MMS connector read them on every run: from memory for up to a minute, so a
/// run costs no settings read. A change made through this process's API is seen at once (<see cref="Forget"/>);
/// one made through another instance within <see cref="Ttl"/>.
/// </summary>
public sealed class FirmSettingsCache(IRecordStore store, IClock clock)
{
    public static readonly Duration Ttl = Duration.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (Lazy<Task<FirmSettings?>> Read, Instant ReadAt)> _entries = new(StringComparer.Ordinal);

    /// <summary>The firm's settings; concurrent misses for one firm share one read, and a failed read is not kept.</summary>
    public async ValueTask<FirmSettings?> GetAsync(string firmId, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var entry = _entries.AddOrUpdate(
            firmId,
            id => (new Lazy<Task<FirmSettings?>>(() => ReadAsync(id)), now),
            (id, old) => old.ReadAt <= now && now - old.ReadAt < Ttl && !old.Read.Value.IsFaulted && !old.Read.Value.IsCanceled ? old : (new Lazy<Task<FirmSettings?>>(() => ReadAsync(id)), now));
        try
        {
            return await entry.Read.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<string, (Lazy<Task<FirmSettings?>>, Instant)>(firmId, entry));
            throw;
        }
    }

    public void Forget(string firmId) => _entries.TryRemove(firmId, out _);

    // Not tied to one caller's cancellation: other callers may be waiting for the same read.
    private async Task<FirmSettings?> ReadAsync(string firmId) =>
        (await store.GetAsync<FirmSettings>(firmId, "settings", CancellationToken.None).ConfigureAwait(false))?.Value;
}
