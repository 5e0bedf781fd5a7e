using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class PeekTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Peek_ReturnsMessagesInOrderWithoutLockingThem()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessagesAsync([new ServiceBusMessage("a") { MessageId = "1" }, new ServiceBusMessage("b") { MessageId = "2" }]);

        var peeked = await receiver.PeekMessagesAsync(10);
        var countsAfterPeek = harness.Counts;
        var received = await receiver.ReceiveAtLeastAsync(2, TimeSpan.FromSeconds(10));

        Assert.Equal(["a", "b"], peeked.Select(m => m.Body.ToString()));
        Assert.Equal(["1", "2"], peeked.Select(m => m.MessageId));
        Assert.True(peeked[0].SequenceNumber < peeked[1].SequenceNumber);
        Assert.Equal(0, countsAfterPeek.LockedMessageCount);
        Assert.Equal(peeked.Select(m => m.SequenceNumber), received.Select(m => m.SequenceNumber));
        Assert.All(received, m => Assert.Equal(1, m.DeliveryCount));
    }

    [Fact]
    public async Task Peek_Repeatedly_ContinuesAfterTheLastPeekedMessage()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessagesAsync(Enumerable.Range(0, 5).Select(i => new ServiceBusMessage($"m{i}")));

        var first = await receiver.PeekMessagesAsync(2);
        var second = await receiver.PeekMessagesAsync(2);
        var rest = await receiver.PeekMessagesAsync(10);
        var none = await receiver.PeekMessagesAsync(10);

        Assert.Equal(["m0", "m1"], first.Select(m => m.Body.ToString()));
        Assert.Equal(["m2", "m3"], second.Select(m => m.Body.ToString()));
        Assert.Equal(["m4"], rest.Select(m => m.Body.ToString()));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Peek_FromSequenceNumber_StartsThere()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessagesAsync(Enumerable.Range(0, 3).Select(i => new ServiceBusMessage($"m{i}")));
        var all = await receiver.PeekMessagesAsync(10);

        var fromSecond = await receiver.PeekMessagesAsync(10, fromSequenceNumber: all[1].SequenceNumber);

        Assert.Equal(["m1", "m2"], fromSecond.Select(m => m.Body.ToString()));
    }

    [Fact]
    public async Task Peek_OnEmptyQueue_ReturnsNothing()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var receiver = harness.CreateReceiver();

        Assert.Empty(await receiver.PeekMessagesAsync(10));
    }

    [Fact]
    public async Task Peek_ShowsLockedAndScheduledMessagesWithTheirState()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("locked"));
        await receiver.ReceiveOneAsync();
        await sender.ScheduleMessageAsync(new ServiceBusMessage("scheduled"), DateTimeOffset.UtcNow.AddMinutes(5));

        var peeked = await receiver.PeekMessagesAsync(10);

        Assert.Equal(["locked", "scheduled"], peeked.Select(m => m.Body.ToString()));
        Assert.Equal(1, peeked[0].DeliveryCount);
        Assert.Equal(ServiceBusMessageState.Active, peeked[0].State);
        Assert.Equal(ServiceBusMessageState.Scheduled, peeked[1].State);
    }

    [Fact]
    public async Task PeekDeadLetterQueue_ShowsDeadLetteredMessages()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await using var deadLetters = harness.CreateDeadLetterReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("poison"));
        await receiver.DeadLetterMessageAsync(await receiver.ReceiveOneAsync(), "Bad");

        var peeked = Assert.Single(await deadLetters.PeekMessagesAsync(10));

        Assert.Equal("Bad", peeked.DeadLetterReason);
        Assert.Empty(await receiver.PeekMessagesAsync(10));
    }
}
