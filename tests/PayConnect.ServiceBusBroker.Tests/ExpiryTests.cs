using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class ExpiryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MessageWithTimeToLive_IsDroppedWhenItExpiresUnreceived()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        await sender.SendMessageAsync(new ServiceBusMessage("short-lived") { TimeToLive = TimeSpan.FromMilliseconds(300) });
        await sender.SendMessageAsync(new ServiceBusMessage("long-lived"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var received = await receiver.ReceiveMessagesAsync(10, TimeSpan.FromSeconds(1));

        Assert.Equal(["long-lived"], received.Select(m => m.Body.ToString()));
    }

    [Fact]
    public async Task QueueDefaultTimeToLive_AppliesToMessagesWithoutOne()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.DefaultMessageTimeToLive = TimeSpan.FromMilliseconds(300));
        await using var sender = harness.CreateSender();

        await sender.SendMessageAsync(new ServiceBusMessage("default ttl"));
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.Equal(0, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task ReceivedMessage_ReportsExpiresAtFromEnqueuedTimeAndTimeToLive()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        await sender.SendMessageAsync(new ServiceBusMessage("ttl") { TimeToLive = TimeSpan.FromMinutes(5) });
        var received = await receiver.ReceiveOneAsync();

        Assert.Equal(TimeSpan.FromMinutes(5), received.TimeToLive);
        Assert.Equal(received.EnqueuedTime + TimeSpan.FromMinutes(5), received.ExpiresAt);
    }
}
