using System.Collections.Concurrent;
using NodaTime;

namespace PayConnect.Connect;

/// <summary>
/// One value per firm, read from storage and kept in memory for <c>ttl</c> (on the injected clock): concurrent misses
/// for a firm share one read, and a failed read is not kept, so the next caller reads again. What the run path reads
/// for every run of a firm and changes rarely (settings, subscriptions) lives here.
/// </summary>
public sealed class FirmCache<T>(IClock clock, Duration ttl, Func<string, Task<T>> read)
{
    private readonly ConcurrentDictionary<string, (Lazy<Task<T>> Read, Instant ReadAt)> _entries = new(StringComparer.Ordinal);

    public async Task<T> GetAsync(string firmId, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var entry = _entries.AddOrUpdate(
            firmId,
            id => (new Lazy<Task<T>>(() => read(id)), now),
            (id, old) => Fresh(old, now) ? old : (new Lazy<Task<T>>(() => read(id)), now));
        try
        {
            // The read is not tied to this caller's cancellation: others may be waiting for it.
            return await entry.Read.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<string, (Lazy<Task<T>>, Instant)>(firmId, entry));
            throw;
        }
    }

    /// <summary>The next caller reads again (a change made through this process).</summary>
    public void Forget(string firmId) => _entries.TryRemove(firmId, out _);

    private bool Fresh((Lazy<Task<T>> Read, Instant ReadAt) entry, Instant now) =>
        entry.ReadAt <= now && now - entry.ReadAt < ttl && !entry.Read.Value.IsFaulted && !entry.Read.Value.IsCanceled;
}
