using NodaTime;
using PayConnect.Connect;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Notifications;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Notifications;

/// <summary>
/// The subscriptions runs read from memory (docs/decisions/0043): a change made through another instance is seen within
/// a minute, one made through this instance's API at once.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class SubscriptionCacheTests(Emulators emulators)
{
    private const string Firm = "firm-cache";

    [Fact]
    public async Task SubscriptionMadeByAnotherInstance_ReachesRunsWithinAMinute_AndOneRemovedHereIsGoneAtOnce()
    {
        await using var host = new TestHost(emulators);
        var store = host.Get<IRecordStore>();
        var cache = new SubscriptionCache(store, host.Clock);
        Assert.False(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));

        // Another instance's API wrote it: this one's memory does not know yet.
        await store.InsertAsync(Firm, new NotificationSubscription("accounts@firm.example", null, [NotificationTypes.PaymentReceipt], host.Clock.GetCurrentInstant()), default);
        host.Clock.Advance(Duration.FromSeconds(59));
        Assert.False(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));

        host.Clock.Advance(Duration.FromSeconds(2));
        Assert.True(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));
        Assert.False(await cache.AnyAsync(Firm, NotificationTypes.RunSummary, default));
        Assert.Equal(["accounts@firm.example"], (await cache.OfTypeAsync(Firm, NotificationTypes.PaymentReceipt, default)).Select(s => s.Email));

        // Removed through this instance: forgotten with it.
        await store.DeleteAsync<NotificationSubscription>(Firm, "accounts@firm.example", null, default);
        cache.Forget(Firm);
        Assert.False(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));
    }

    [Fact]
    public async Task SubscriptionThroughTheApi_IsSeenByTheHostsCacheAtOnce_AndSoIsItsRemoval()
    {
        await using var host = new TestHost(emulators);
        var client = new Client(host) { FirmId = Firm };
        var cache = host.Get<SubscriptionCache>();
        Assert.False(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));

        Assert.Equal(201, (await client.Post($"/api/firms/{Firm}/notification-subscriptions", new { email = "accounts@firm.example", types = new[] { "PaymentReceipt" } })).Status);
        Assert.True(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));

        Assert.Equal(204, (await client.Delete($"/api/firms/{Firm}/notification-subscriptions/accounts@firm.example")).Status);
        Assert.False(await cache.AnyAsync(Firm, NotificationTypes.PaymentReceipt, default));
    }
}
