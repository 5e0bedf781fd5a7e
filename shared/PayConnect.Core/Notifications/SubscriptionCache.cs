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

    private readonly FirmCache<IReadOnlyList<NotificationSubscription>> _cache = new(clock, Ttl, firmId => ReadAsync(store, firmId));

    /// <summary>The firm's subscribers of <paramref name="type"/>.</summary>
    public async Task<IReadOnlyList<NotificationSubscription>> OfTypeAsync(string firmId, string type, CancellationToken cancellationToken)
    {
        var all = await _cache.GetAsync(firmId, cancellationToken).ConfigureAwait(false);
        return all.Where(s => s.Types.Contains(type, StringComparer.Ordinal)).ToList();
    }

    /// <summary>True when some staff member of the firm receives <paramref name="type"/>.</summary>
    public async Task<bool> AnyAsync(string firmId, string type, CancellationToken cancellationToken) =>
        (await _cache.GetAsync(firmId, cancellationToken).ConfigureAwait(false)).Any(s => s.Types.Contains(type, StringComparer.Ordinal));

    public void Forget(string firmId) => _cache.Forget(firmId);

    private static async Task<IReadOnlyList<NotificationSubscription>> ReadAsync(IRecordStore store, string firmId)
    {
        var subscribers = new List<NotificationSubscription>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<NotificationSubscription>(firmId, string.Empty, 200, continuation, null, CancellationToken.None).ConfigureAwait(false);
            subscribers.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return subscribers;
    }
}
