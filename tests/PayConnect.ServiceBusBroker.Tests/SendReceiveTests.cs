using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class SendReceiveTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LockDuration = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReceivedMessage_CarriesEverythingTheSenderSetPlusBrokerProperties()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = LockDuration);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        byte[] body = [0, 1, 2, 250, 255];
        var sent = new ServiceBusMessage(body)
        {
            MessageId = "run-42",
            ContentType = "application/json",
            Subject = "autopay.run",
            CorrelationId = "corr-7",
            ApplicationProperties = { ["firmId"] = "firm-1", ["attempt"] = 3, ["urgent"] = true },
        };

        var before = DateTimeOffset.UtcNow;
        await sender.SendMessageAsync(sent);
        var received = await receiver.ReceiveOneAsync();
        var after = DateTimeOffset.UtcNow;

        Assert.Equal("run-42", received.MessageId);
        Assert.Equal(body, received.Body.ToArray());
        Assert.Equal("application/json", received.ContentType);
        Assert.Equal("autopay.run", received.Subject);
        Assert.Equal("corr-7", received.CorrelationId);
        Assert.Equal("firm-1", received.ApplicationProperties["firmId"]);
        Assert.Equal(3, received.ApplicationProperties["attempt"]);
        Assert.Equal(true, received.ApplicationProperties["urgent"]);
        Assert.True(received.SequenceNumber > 0);
        Assert.Equal(1, received.DeliveryCount);
        Assert.InRange(received.EnqueuedTime, before.AddSeconds(-1), after.AddSeconds(1));
        Assert.InRange(received.LockedUntil, before + LockDuration - TimeSpan.FromSeconds(1), after + LockDuration + TimeSpan.FromSeconds(1));
        Assert.NotEqual(Guid.Empty.ToString(), received.LockToken);
    }

    [Fact]
    public async Task ReceivedMessage_SentWithoutApplicationProperties_HasNone()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        await sender.SendMessageAsync(new ServiceBusMessage("plain"));
        var received = await receiver.ReceiveOneAsync();

        Assert.Empty(received.ApplicationProperties);
        Assert.Equal("plain", received.Body.ToString());
    }

    [Fact]
    public async Task SendBatch_DeliversEveryMessageInOrderWithIncreasingSequenceNumbers()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        using var batch = await sender.CreateMessageBatchAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(batch.TryAddMessage(new ServiceBusMessage($"item-{i}") { MessageId = $"id-{i}" }));
        }

        await sender.SendMessagesAsync(batch);
        var received = await receiver.ReceiveAtLeastAsync(5, TimeSpan.FromSeconds(10));

        Assert.Equal(["item-0", "item-1", "item-2", "item-3", "item-4"], received.Select(m => m.Body.ToString()));
        Assert.Equal(["id-0", "id-1", "id-2", "id-3", "id-4"], received.Select(m => m.MessageId));
        var sequenceNumbers = received.Select(m => m.SequenceNumber).ToList();
        Assert.Equal(sequenceNumbers.Order(), sequenceNumbers);
        Assert.Equal(5, sequenceNumbers.Distinct().Count());
    }

    [Fact]
    public async Task SendMessages_ListOfMessages_IsStoredAsSeparateMessages()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();

        await sender.SendMessagesAsync([new ServiceBusMessage("a"), new ServiceBusMessage("b"), new ServiceBusMessage("c")]);

        Assert.Equal(3, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task Receive_WithMaxMessages_ReturnsNoMoreThanAsked()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessagesAsync(Enumerable.Range(0, 5).Select(i => new ServiceBusMessage($"m{i}")));

        var first = await receiver.ReceiveMessagesAsync(maxMessages: 2, maxWaitTime: TimeSpan.FromSeconds(5));

        Assert.InRange(first.Count, 1, 2);
        // A second message may still be on its way to the client (which then hands it back), never a third.
        Assert.InRange(harness.Counts.LockedMessageCount, first.Count, 2);
        Assert.Equal(5, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task Receive_OnEmptyQueue_ReturnsNothingAfterWaitingMaxWaitTime()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var receiver = harness.CreateReceiver();
        var maxWait = TimeSpan.FromSeconds(1);

        var started = DateTimeOffset.UtcNow;
        var received = await receiver.ReceiveMessagesAsync(10, maxWait);
        var waited = DateTimeOffset.UtcNow - started;

        Assert.Empty(received);
        Assert.True(waited >= maxWait - TimeSpan.FromMilliseconds(100), $"returned after {waited}");
    }

    [Fact]
    public async Task Receive_WaitingOnEmptyQueue_GetsAMessageSentMeanwhile()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        var receiving = receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(200);
        await sender.SendMessageAsync(new ServiceBusMessage("late arrival"));
        var received = await receiving;

        Assert.NotNull(received);
        Assert.Equal("late arrival", received.Body.ToString());
    }

    [Fact]
    public async Task Complete_RemovesTheMessage()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("done"));

        await receiver.CompleteMessageAsync(await receiver.ReceiveOneAsync());

        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
        Assert.Empty(await receiver.ReceiveMessagesAsync(1, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task ReceiveAndDelete_RemovesMessagesAsTheyAreDelivered()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver(ServiceBusReceiveMode.ReceiveAndDelete);
        await sender.SendMessagesAsync([new ServiceBusMessage("one"), new ServiceBusMessage("two")]);

        var received = await receiver.ReceiveAtLeastAsync(2, TimeSpan.FromSeconds(10));

        Assert.Equal(["one", "two"], received.Select(m => m.Body.ToString()));
        Assert.All(received, m => Assert.Equal(1, m.DeliveryCount));
        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }

    [Fact]
    public async Task CompetingReceivers_EachMessageGoesToOneOfThem()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var first = harness.CreateReceiver();
        await using var second = harness.CreateReceiver();
        await sender.SendMessagesAsync(Enumerable.Range(0, 6).Select(i => new ServiceBusMessage($"m{i}")));

        var a = await first.ReceiveMessagesAsync(3, TimeSpan.FromSeconds(5));
        var b = await second.ReceiveAtLeastAsync(6 - a.Count, TimeSpan.FromSeconds(10));

        var all = a.Concat(b).Select(m => m.Body.ToString()).Order().ToList();
        Assert.Equal(["m0", "m1", "m2", "m3", "m4", "m5"], all);
    }

    [Fact]
    public async Task Send_LargerThanTheMaximumMessageSize_FailsWithMessageSizeExceeded()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();

        var error = await Assert.ThrowsAsync<ServiceBusException>(() => sender.SendMessageAsync(new ServiceBusMessage(new byte[300 * 1024])));

        Assert.Equal(ServiceBusFailureReason.MessageSizeExceeded, error.Reason);
        Assert.Equal(0, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task ReceiverWithPrefetch_ReceivesEveryMessageOnce()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.Client.CreateReceiver(BrokerHarness.QueueName, new ServiceBusReceiverOptions { PrefetchCount = 10 });
        await sender.SendMessagesAsync(Enumerable.Range(0, 15).Select(i => new ServiceBusMessage($"m{i}")));

        // The client tops its prefetch credit up as deliveries are settled, so settle while receiving.
        var received = new List<ServiceBusReceivedMessage>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(15);
        while (received.Count < 15 && DateTimeOffset.UtcNow < deadline)
        {
            foreach (var message in await receiver.ReceiveMessagesAsync(15 - received.Count, TimeSpan.FromSeconds(1)))
            {
                await receiver.CompleteMessageAsync(message);
                received.Add(message);
            }
        }

        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"m{i}"), received.Select(m => m.Body.ToString()));
        Assert.All(received, m => Assert.Equal(1, m.DeliveryCount));
        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }

    [Fact]
    public async Task SessionReceiver_IsRefusedAsNotSupported()
    {
        await using var harness = await BrokerHarness.StartAsync(output);

        await Assert.ThrowsAsync<NotSupportedException>(() => harness.Client.AcceptSessionAsync(BrokerHarness.QueueName, "session-1"));
    }
}
