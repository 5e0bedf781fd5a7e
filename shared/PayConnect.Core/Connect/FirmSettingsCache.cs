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

    private readonly ConcurrentDictionary<string, (FirmSettings? Settings, Instant ReadAt)> _entries = new(StringComparer.Ordinal);

    public async ValueTask<FirmSettings?> GetAsync(string firmId, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        if (_entries.TryGetValue(firmId, out var entry) && entry.ReadAt <= now && now - entry.ReadAt < Ttl)
        {
            return entry.Settings;
        }

        var settings = (await store.GetAsync<FirmSettings>(firmId, "settings", cancellationToken).ConfigureAwait(false))?.Value;
        _entries[firmId] = (settings, now);
        return settings;
    }

    public void Forget(string firmId) => _entries.TryRemove(firmId, out _);
}
