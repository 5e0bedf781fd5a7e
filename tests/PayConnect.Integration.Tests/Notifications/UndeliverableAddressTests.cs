using NodaTime;
using PayConnect.Connect;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Notifications;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Notifications;

/// <summary>An Error-Failed AutoPay email to an address that can never receive it ends rejected, once, instead of being retried forever.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class UndeliverableAddressTests(Emulators emulators)
{
    private const string Firm = "firm-a";

    [Theory]
    [InlineData("<oncall2@demo-firm.test>")]
    [InlineData("\"x,y\"@demo-firm.test")]
    [InlineData("On Call <oncall@demo-firm.test>")]
    public async Task FailureEmail_ToAnAddressThatIsNotPlain_IsMarkedRejected_AndNotRetried(string address)
    {
        await using var host = new TestHost(emulators);
        var store = host.Get<IRecordStore>();

        // A subscription stored before the API required plain addresses.
        await store.InsertAsync(Firm, new NotificationSubscription(address, null, [NotificationSubscription.ErrorFailedAutoPay], host.Clock.GetCurrentInstant()), CancellationToken.None);
        await host.Get<NotificationOutbox>().EnqueueAsync(Firm, NotificationTypes.ErrorFailedAutoPay, $"{Firm}/as_1/2026-03-01",
            (id, to) => FailedAutoPayEmail.Compose(id, [to], Details(), new Uri("https://portal.example")), CancellationToken.None);
        var sender = host.Get<OutboxSender>();

        var first = await sender.SendPendingAsync(CancellationToken.None);
        host.Clock.Advance(Duration.FromDays(2));
        var later = await sender.SendPendingAsync(CancellationToken.None);

        Assert.Equal(new OutboxSendReport(0, 0, 0, 0), first);
        Assert.Equal(new OutboxSendReport(0, 0, 0, 0), later);
        var email = Assert.Single((await store.ListAsync<OutboxEmail>(Firm, string.Empty, 10, null, null, CancellationToken.None)).Items).Value;
        Assert.Equal(OutboxState.Rejected, email.State);
        Assert.Equal(0, email.Attempts);
        Assert.NotNull(email.LastError);
        Assert.Empty((await store.ListAsync<OutboxPendingEntry>(OutboxPendingEntry.Partition, string.Empty, 10, null, null, CancellationToken.None)).Items);
    }

    private static FailedAutoPayDetails Details() => new()
    {
        FirmName = "Smith & Jones LLP",
        PayerName = "Jane Doe",
        ScheduleId = "as_1",
        ScheduleName = "Monthly retainer",
        RunDate = new LocalDate(2026, 3, 1),
        AmountAttempted = new Money(125_000, "USD"),
        FailureReason = "Card declined: stolen card",
    };
}
