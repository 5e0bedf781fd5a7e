using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class LockTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LockLeftToExpire_MessageIsRedeliveredWithDeliveryCountTwo()
    {
        var lockDuration = TimeSpan.FromSeconds(1);
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = lockDuration);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("forgotten") { MessageId = "x1" });

        var first = await receiver.ReceiveOneAsync();
        var redelivered = await receiver.ReceiveOneAsync(TimeSpan.FromSeconds(15));

        Assert.Equal("x1", redelivered.MessageId);
        Assert.Equal(1, first.DeliveryCount);
        Assert.Equal(2, redelivered.DeliveryCount);
        Assert.True(redelivered.LockedUntil >= first.LockedUntil, "the new lock starts after the old one expired");
    }

    [Fact]
    public async Task LockedMessage_IsNotGivenToAnotherReceiverWhileTheLockHolds()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = TimeSpan.FromSeconds(30));
        await using var sender = harness.CreateSender();
        await using var holder = harness.CreateReceiver();
        await using var other = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("mine"));

        await holder.ReceiveOneAsync();

        Assert.Empty(await other.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1)));
        Assert.Equal(1, harness.Counts.LockedMessageCount);
    }

    [Fact]
    public async Task RenewLock_ExtendsLockedUntil()
    {
        var lockDuration = TimeSpan.FromSeconds(10);
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = lockDuration);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("long job"));
        var message = await receiver.ReceiveOneAsync();
        var originalLockedUntil = message.LockedUntil;

        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var before = DateTimeOffset.UtcNow;
        await receiver.RenewMessageLockAsync(message);
        var after = DateTimeOffset.UtcNow;

        Assert.True(message.LockedUntil > originalLockedUntil, $"{message.LockedUntil:O} should be after {originalLockedUntil:O}");
        Assert.InRange(message.LockedUntil, before + lockDuration - TimeSpan.FromSeconds(1), after + lockDuration + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task RenewedLock_MessageIsNotRedeliveredAtTheOriginalExpiry()
    {
        var lockDuration = TimeSpan.FromSeconds(3);
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = lockDuration);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("still working"));
        var message = await receiver.ReceiveOneAsync();

        await Task.Delay(TimeSpan.FromSeconds(2));
        await receiver.RenewMessageLockAsync(message);
        // About a second past the original expiry and a second before the renewed one.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var counts = harness.Counts;
        await receiver.CompleteMessageAsync(message);

        Assert.Equal(1, counts.LockedMessageCount);
        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }

    [Fact]
    public async Task RenewLock_AfterExpiry_FailsWithMessageLockLost()
    {
        await using var harness = await BrokerHarness.StartAsync(output, q => q.LockDuration = TimeSpan.FromMilliseconds(500));
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("expired"));
        var message = await receiver.ReceiveOneAsync();

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var error = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.RenewMessageLockAsync(message));

        Assert.Equal(ServiceBusFailureReason.MessageLockLost, error.Reason);
    }
}
