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

    private readonly FirmCache<FirmSettings?> _cache = new(clock, Ttl, async firmId =>
        (await store.GetAsync<FirmSettings>(firmId, "settings", CancellationToken.None).ConfigureAwait(false))?.Value);

    public async ValueTask<FirmSettings?> GetAsync(string firmId, CancellationToken cancellationToken) =>
        await _cache.GetAsync(firmId, cancellationToken).ConfigureAwait(false);

    public void Forget(string firmId) => _cache.Forget(firmId);
}
