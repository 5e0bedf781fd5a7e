using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class DuplicateDetectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SecondSendWithSameMessageId_InsideTheWindow_IsAcceptedAndDropped()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q =>
        {
            q.RequiresDuplicateDetection = true;
            q.DuplicateDetectionHistoryTimeWindow = TimeSpan.FromMinutes(10);
        });
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        await sender.SendMessageAsync(new ServiceBusMessage("first") { MessageId = "run-2025-01-31" });
        await sender.SendMessageAsync(new ServiceBusMessage("second") { MessageId = "run-2025-01-31" });
        var received = await receiver.ReceiveMessagesAsync(10, TimeSpan.FromSeconds(2));

        Assert.Equal(1, harness.Counts.ActiveMessageCount);
        var only = Assert.Single(received);
        Assert.Equal("first", only.Body.ToString());
    }

    [Fact]
    public async Task DuplicateInsideABatch_IsDropped()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.RequiresDuplicateDetection = true);
        await using var sender = harness.CreateSender();

        await sender.SendMessagesAsync([
            new ServiceBusMessage("a") { MessageId = "same" },
            new ServiceBusMessage("b") { MessageId = "same" },
            new ServiceBusMessage("c") { MessageId = "other" },
        ]);

        Assert.Equal(2, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task DuplicateOfACompletedMessage_InsideTheWindow_IsStillDropped()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.RequiresDuplicateDetection = true);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("first") { MessageId = "m" });
        await receiver.CompleteMessageAsync(await receiver.ReceiveOneAsync());

        await sender.SendMessageAsync(new ServiceBusMessage("again") { MessageId = "m" });

        Assert.Equal(0, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task SendWithSameMessageId_AfterTheWindow_IsDeliveredAgain()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q =>
        {
            q.RequiresDuplicateDetection = true;
            q.DuplicateDetectionHistoryTimeWindow = TimeSpan.FromMilliseconds(500);
        });
        await using var sender = harness.CreateSender();

        await sender.SendMessageAsync(new ServiceBusMessage("first") { MessageId = "m" });
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await sender.SendMessageAsync(new ServiceBusMessage("later") { MessageId = "m" });

        Assert.Equal(2, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task WithoutDuplicateDetection_SameMessageIdIsStoredTwice()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.RequiresDuplicateDetection = false);
        await using var sender = harness.CreateSender();

        await sender.SendMessageAsync(new ServiceBusMessage("first") { MessageId = "m" });
        await sender.SendMessageAsync(new ServiceBusMessage("second") { MessageId = "m" });

        Assert.Equal(2, harness.Counts.ActiveMessageCount);
    }
}
