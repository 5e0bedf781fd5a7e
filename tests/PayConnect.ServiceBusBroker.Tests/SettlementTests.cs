using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class SettlementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Abandon_RedeliversTheMessageWithDeliveryCountIncremented()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("retry me") { MessageId = "r1" });

        var first = await receiver.ReceiveOneAsync();
        await receiver.AbandonMessageAsync(first);
        var second = await receiver.ReceiveOneAsync();

        Assert.Equal("r1", second.MessageId);
        Assert.Equal(first.SequenceNumber, second.SequenceNumber);
        Assert.Equal(1, first.DeliveryCount);
        Assert.Equal(2, second.DeliveryCount);
        Assert.NotEqual(first.LockToken, second.LockToken);
    }

    [Fact]
    public async Task Abandon_WithPropertiesToModify_UpdatesTheApplicationProperties()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("annotated") { ApplicationProperties = { ["step"] = "charge" } });

        await receiver.AbandonMessageAsync(await receiver.ReceiveOneAsync(), new Dictionary<string, object> { ["lastError"] = "gateway timeout" });
        var again = await receiver.ReceiveOneAsync();

        Assert.Equal("charge", again.ApplicationProperties["step"]);
        Assert.Equal("gateway timeout", again.ApplicationProperties["lastError"]);
    }

    [Fact]
    public async Task DeadLetter_WithReasonAndDescription_MovesTheMessageToTheDeadLetterQueue()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await using var deadLetters = harness.CreateDeadLetterReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("poison") { MessageId = "p1", ApplicationProperties = { ["firmId"] = "firm-9" } });

        await receiver.DeadLetterMessageAsync(await receiver.ReceiveOneAsync(), "InvalidPayload", "The run key is missing.");
        var counts = harness.Counts;
        var dead = await deadLetters.ReceiveOneAsync();

        Assert.Equal(0, counts.ActiveMessageCount);
        Assert.Equal(1, counts.DeadLetterMessageCount);
        Assert.Equal("p1", dead.MessageId);
        Assert.Equal("poison", dead.Body.ToString());
        Assert.Equal("InvalidPayload", dead.DeadLetterReason);
        Assert.Equal("The run key is missing.", dead.DeadLetterErrorDescription);
        Assert.Equal("firm-9", dead.ApplicationProperties["firmId"]);
        Assert.Empty(await receiver.ReceiveMessagesAsync(1, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task DeadLetterQueue_MessageCanBeCompletedThere()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await using var deadLetters = harness.CreateDeadLetterReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("poison"));
        await receiver.DeadLetterMessageAsync(await receiver.ReceiveOneAsync());

        await deadLetters.CompleteMessageAsync(await deadLetters.ReceiveOneAsync());

        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }

    [Fact]
    public async Task Abandon_MaxDeliveryCountTimes_DeadLettersTheMessageWithMaxDeliveryCountExceeded()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.MaxDeliveryCount = 3);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await using var deadLetters = harness.CreateDeadLetterReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("always fails") { MessageId = "f1" });

        var deliveryCounts = new List<int>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var message = await receiver.ReceiveOneAsync();
            deliveryCounts.Add(message.DeliveryCount);
            await receiver.AbandonMessageAsync(message);
        }

        var dead = await deadLetters.ReceiveOneAsync();

        Assert.Equal([1, 2, 3], deliveryCounts);
        Assert.Equal("f1", dead.MessageId);
        Assert.Equal("MaxDeliveryCountExceeded", dead.DeadLetterReason);
        Assert.False(string.IsNullOrEmpty(dead.DeadLetterErrorDescription));
        Assert.Empty(await receiver.ReceiveMessagesAsync(1, TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Complete_AfterTheLockExpired_FailsWithMessageLockLost()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = TimeSpan.FromMilliseconds(500));
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("too slow"));
        var message = await receiver.ReceiveOneAsync();

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var error = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.CompleteMessageAsync(message));

        Assert.Equal(ServiceBusFailureReason.MessageLockLost, error.Reason);
        Assert.Equal(1, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task Complete_Twice_SecondFailsWithMessageLockLost()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("once"));
        var message = await receiver.ReceiveOneAsync();

        await receiver.CompleteMessageAsync(message);
        var error = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.CompleteMessageAsync(message));

        Assert.Equal(ServiceBusFailureReason.MessageLockLost, error.Reason);
    }

    [Fact]
    public async Task Complete_FromAnotherReceiverByLockToken_SettlesOverManagement()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await sender.SendMessageAsync(new ServiceBusMessage("handed over"));
        ServiceBusReceivedMessage message;
        await using (var original = harness.CreateReceiver())
        {
            message = await original.ReceiveOneAsync();
        }

        // The original link is gone, so the client settles by lock token through $management.
        await using var other = harness.CreateReceiver();
        await other.CompleteMessageAsync(message);

        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }

    [Fact]
    public async Task MessageArrivingWhileNoReceiveIsPending_IsNotCountedAsADelivery()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        // The empty receive leaves credit with the broker, so the next message is pushed to a client that has
        // no receive waiting; the client releases it and the broker takes it back without counting a delivery.
        Assert.Empty(await receiver.ReceiveMessagesAsync(5, TimeSpan.FromMilliseconds(500)));
        await sender.SendMessageAsync(new ServiceBusMessage("pushed early"));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var message = await receiver.ReceiveOneAsync();

        Assert.Equal("pushed early", message.Body.ToString());
        Assert.Equal(1, message.DeliveryCount);
    }

    [Fact]
    public async Task Defer_IsNotSupportedAndLeavesTheMessageLocked()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("later, maybe"));
        var message = await receiver.ReceiveOneAsync();

        await Assert.ThrowsAsync<NotSupportedException>(() => receiver.DeferMessageAsync(message));
        await receiver.CompleteMessageAsync(message);

        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }
}
