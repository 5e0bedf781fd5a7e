using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class SchedulingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task MessageWithScheduledEnqueueTime_IsNotReceivedBeforeItsTime()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await WarmUpAsync(sender, receiver);
        var scheduledFor = WholeMilliseconds(DateTimeOffset.UtcNow + Delay);

        await sender.SendMessageAsync(new ServiceBusMessage("later") { ScheduledEnqueueTime = scheduledFor });
        var countsBefore = harness.Counts;
        var early = await ReceiveUntilShortlyBeforeAsync(receiver, scheduledFor);
        var onTime = await receiver.ReceiveOneAsync(TimeSpan.FromSeconds(15));
        var receivedAt = DateTimeOffset.UtcNow;

        Assert.Equal(1, countsBefore.ScheduledMessageCount);
        Assert.Equal(0, countsBefore.ActiveMessageCount);
        Assert.Empty(early);
        Assert.Equal("later", onTime.Body.ToString());
        Assert.True(receivedAt >= scheduledFor, $"received at {receivedAt:O}, scheduled for {scheduledFor:O}");
        Assert.True(onTime.EnqueuedTime >= scheduledFor, $"enqueued at {onTime.EnqueuedTime:O}");
    }

    [Fact]
    public async Task ScheduleMessageAsync_ReturnsTheSequenceNumberAndDeliversAtTheScheduledTime()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();
        await WarmUpAsync(sender, receiver);
        var scheduledFor = WholeMilliseconds(DateTimeOffset.UtcNow + Delay);

        var sequenceNumber = await sender.ScheduleMessageAsync(new ServiceBusMessage("scheduled") { MessageId = "s1" }, scheduledFor);
        var early = await ReceiveUntilShortlyBeforeAsync(receiver, scheduledFor);
        var onTime = await receiver.ReceiveOneAsync(TimeSpan.FromSeconds(15));
        var receivedAt = DateTimeOffset.UtcNow;

        Assert.Empty(early);
        Assert.True(receivedAt >= scheduledFor, $"received at {receivedAt:O}, scheduled for {scheduledFor:O}");
        Assert.Equal(sequenceNumber, onTime.SequenceNumber);
        Assert.Equal("s1", onTime.MessageId);
        Assert.Equal(scheduledFor.ToUnixTimeMilliseconds(), onTime.ScheduledEnqueueTime.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task CancelScheduledMessageAsync_TheMessageIsNeverDelivered()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        var sequenceNumber = await sender.ScheduleMessageAsync(new ServiceBusMessage("cancelled"), DateTimeOffset.UtcNow.AddSeconds(1));
        await sender.CancelScheduledMessageAsync(sequenceNumber);

        Assert.Empty(await receiver.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(2.5)));
        Assert.Equal(new QueueMessageCounts(0, 0, 0, 0), harness.Counts);
    }

    [Fact]
    public async Task ScheduledEnqueueTimeInThePast_IsDeliveredImmediately()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.CreateSender();
        await using var receiver = harness.CreateReceiver();

        await sender.SendMessageAsync(new ServiceBusMessage("overdue") { ScheduledEnqueueTime = DateTimeOffset.UtcNow.AddMinutes(-1) });

        Assert.Equal("overdue", (await receiver.ReceiveOneAsync()).Body.ToString());
    }

    /// <summary>AMQP timestamps carry milliseconds, so that is the precision the broker can honour.</summary>
    private static DateTimeOffset WholeMilliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    /// <summary>Opens the links first, so the schedule is measured from when the client is ready, not from a cold start.</summary>
    private static async Task WarmUpAsync(ServiceBusSender sender, ServiceBusReceiver receiver)
    {
        using var batch = await sender.CreateMessageBatchAsync();
        await receiver.PeekMessagesAsync(1);
    }

    /// <summary>Receives until half a second before the scheduled time; the message must not show up.</summary>
    private static async Task<IReadOnlyList<ServiceBusReceivedMessage>> ReceiveUntilShortlyBeforeAsync(ServiceBusReceiver receiver, DateTimeOffset scheduledFor)
    {
        var wait = scheduledFor - DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(500);
        return wait > TimeSpan.Zero ? await receiver.ReceiveMessagesAsync(1, wait) : [];
    }
}
