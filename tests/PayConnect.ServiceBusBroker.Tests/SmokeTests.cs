using Azure.Messaging.ServiceBus;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task SendReceiveComplete()
    {
        await using var harness = await BrokerHarness.StartAsync();
        await using var sender = harness.CreateSender();
        await sender.SendMessageAsync(new ServiceBusMessage("hello") { MessageId = "m1" });
        await using var receiver = harness.CreateReceiver();
        var messages = await receiver.ReceiveMessagesAsync(10, TimeSpan.FromSeconds(5));
        Assert.Single(messages);
        Assert.Equal("hello", messages[0].Body.ToString());
        await receiver.CompleteMessageAsync(messages[0]);
        Assert.Equal(0, harness.Counts.ActiveMessageCount);
    }
}
