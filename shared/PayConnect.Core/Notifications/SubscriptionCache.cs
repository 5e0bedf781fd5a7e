using System.Collections.Concurrent;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Notifications;

/// <summary>
/// A firm's staff subscriptions as the engine reads them after every run: from memory for up to a minute, so a run
/// whose firm has no subscriber of a type costs no read to learn it (docs/decisions/0043). A change made through this
/// process's API or an unsubscribe link is seen at once (<see cref="Forget"/>); one made through another instance within
/// <see cref="Ttl"/>. Concurrent misses for one firm share one read.
/// </summary>
public sealed class SubscriptionCache(IRecordStore store, IClock clock)
{
    public static readonly Duration Ttl = Duration.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (Lazy<Task<IReadOnlyList<NotificationSubscription>>> Read, Instant ReadAt)> _entries = new(StringComparer.Ordinal);

    /// <summary>The firm's subscribers of <paramref name="type"/>.</summary>
    public async Task<IReadOnlyList<NotificationSubscription>> OfTypeAsync(string firmId, string type, CancellationToken cancellationToken)
    {
        var all = await AllAsync(firmId, cancellationToken).ConfigureAwait(false);
        return all.Where(s => s.Types.Contains(type, StringComparer.Ordinal)).ToList();
    }

    /// <summary>True when some staff member of the firm receives <paramref name="type"/>.</summary>
    public async Task<bool> AnyAsync(string firmId, string type, CancellationToken cancellationToken) =>
        (await AllAsync(firmId, cancellationToken).ConfigureAwait(false)).Any(s => s.Types.Contains(type, StringComparer.Ordinal));

    public void Forget(string firmId) => _entries.TryRemove(firmId, out _);

    private async Task<IReadOnlyList<NotificationSubscription>> AllAsync(string firmId, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var entry = _entries.AddOrUpdate(
            firmId,
            _ => (new Lazy<Task<IReadOnlyList<NotificationSubscription>>>(() => ReadAsync(firmId)), now),
            (_, old) => Fresh(old, now) ? old : (new Lazy<Task<IReadOnlyList<NotificationSubscription>>>(() => ReadAsync(firmId)), now));
        try
        {
            return await entry.Read.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed read is not remembered: the next caller reads again.
            _entries.TryRemove(new KeyValuePair<string, (Lazy<Task<IReadOnlyList<NotificationSubscription>>>, Instant)>(firmId, entry));
            throw;
        }
    }

    private static bool Fresh((Lazy<Task<IReadOnlyList<NotificationSubscription>>> Read, Instant ReadAt) entry, Instant now) =>
        entry.ReadAt <= now && now - entry.ReadAt < Ttl && !entry.Read.Value.IsFaulted && !entry.Read.Value.IsCanceled;

    private async Task<IReadOnlyList<NotificationSubscription>> ReadAsync(string firmId)
    {
        var subscribers = new List<NotificationSubscription>();
        string? continuation = null;
        do
        {
            // Not tied to one caller's cancellation: other callers may be waiting for the same read.
            var page = await store.ListAsync<NotificationSubscription>(firmId, string.Empty, 200, continuation, null, CancellationToken.None).ConfigureAwait(false);
            subscribers.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return subscribers;
    }
}
