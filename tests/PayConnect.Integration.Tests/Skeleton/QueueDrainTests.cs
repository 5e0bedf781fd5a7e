using System.Collections.Concurrent;
using System.Text;
using Azure.Messaging.ServiceBus;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Runs;

namespace PayConnect.Integration.Tests.Skeleton;

/// <summary>The drain against the local broker: settles every message itself by the handler's outcome.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class QueueDrainTests(Emulators emulators)
{
    private sealed class ScriptedHandler(Func<QueuedMessage, MessageOutcome> script) : IMessageHandler
    {
        public ConcurrentBag<(string Id, int Delivery)> Seen { get; } = [];

        public Task<MessageOutcome> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
        {
            Seen.Add((message.MessageId, message.DeliveryCount));
            return Task.FromResult(script(message));
        }
    }

    [Fact]
    public async Task Drain_CompletesHandledMessages_DeadLettersPoison_AndAbandonsRetries()
    {
        var queue = emulators.AddRunsQueue("drain-" + Guid.NewGuid().ToString("N")[..8], maxDeliveryCount: 5);
        await using var client = new ServiceBusClient(emulators.ServiceBusConnectionString);
        await using (var sender = client.CreateSender(queue))
        {
            foreach (var id in new[] { "ok-1", "ok-2", "poison", "flaky" })
            {
                await sender.SendMessageAsync(new ServiceBusMessage(Encoding.UTF8.GetBytes(id)) { MessageId = id });
            }
        }

        var handler = new ScriptedHandler(m => m.MessageId switch
        {
            "poison" => new MessageOutcome.DeadLetter("MalformedRunKey", "not a run key"),
            "flaky" when m.DeliveryCount == 1 => new MessageOutcome.Retry("transient"),
            _ => MessageOutcome.Completed,
        });
        var drain = new QueueDrain(client, Microsoft.Extensions.Logging.Abstractions.NullLogger<QueueDrain>.Instance);
        var options = new DrainOptions { TimeBudget = TimeSpan.FromSeconds(20), MaxConcurrency = 2, IdleWait = TimeSpan.FromSeconds(1) };

        var first = await drain.DrainAsync(queue, handler, options, CancellationToken.None);
        var second = await drain.DrainAsync(queue, handler, options, CancellationToken.None);

        // The abandoned message comes straight back within the same invocation, with its delivery count raised.
        Assert.Equal(new DrainResult(5, 3, 1, 1), first);
        Assert.Equal(new DrainResult(0, 0, 0, 0), second);
        Assert.Contains(("flaky", 2), handler.Seen);
        var counts = emulators.Broker.GetMessageCounts(queue);
        Assert.Equal(0, counts.ActiveMessageCount + counts.LockedMessageCount);
        Assert.Equal(1, counts.DeadLetterMessageCount);
        await using var dlq = client.CreateReceiver(queue, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var dead = await dlq.ReceiveMessageAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("poison", dead.MessageId);
        Assert.Equal("MalformedRunKey", dead.DeadLetterReason);
    }

    [Fact]
    public async Task Drain_HandlerThrows_MessageIsRedeliveredNotLost()
    {
        var queue = emulators.AddRunsQueue("drain-" + Guid.NewGuid().ToString("N")[..8]);
        await using var client = new ServiceBusClient(emulators.ServiceBusConnectionString);
        await using (var sender = client.CreateSender(queue))
        {
            await sender.SendMessageAsync(new ServiceBusMessage("x") { MessageId = "boom" });
        }

        var calls = 0;
        var handler = new ScriptedHandler(_ => Interlocked.Increment(ref calls) == 1 ? throw new TimeoutException("storage slow") : MessageOutcome.Completed);
        var drain = new QueueDrain(client, Microsoft.Extensions.Logging.Abstractions.NullLogger<QueueDrain>.Instance);
        var options = new DrainOptions { TimeBudget = TimeSpan.FromSeconds(10), IdleWait = TimeSpan.FromSeconds(1) };

        var result = await drain.DrainAsync(queue, handler, options, CancellationToken.None);

        Assert.Equal(new DrainResult(2, 1, 1, 0), result);
        Assert.Equal(0, emulators.Broker.GetMessageCounts(queue).ActiveMessageCount);
    }

    [Fact]
    public async Task Drain_HandlerOutlastingTheLock_KeepsItByRenewal_AndCompletesOnFirstDelivery()
    {
        var queue = emulators.AddRunsQueue("drain-" + Guid.NewGuid().ToString("N")[..8], lockDuration: TimeSpan.FromSeconds(3));
        await using var client = new ServiceBusClient(emulators.ServiceBusConnectionString);
        await using (var sender = client.CreateSender(queue))
        {
            await sender.SendMessageAsync(new ServiceBusMessage("slow") { MessageId = "slow-run" });
        }

        var handler = new SlowHandler(TimeSpan.FromSeconds(7));
        var drain = new QueueDrain(client, Microsoft.Extensions.Logging.Abstractions.NullLogger<QueueDrain>.Instance);
        var options = new DrainOptions { TimeBudget = TimeSpan.FromSeconds(20), IdleWait = TimeSpan.FromSeconds(1), LockRenewalInterval = TimeSpan.FromMilliseconds(500) };

        var result = await drain.DrainAsync(queue, handler, options, CancellationToken.None);

        Assert.Equal(new DrainResult(1, 1, 0, 0), result);
        Assert.Equal([1], handler.Deliveries);
        Assert.Equal(0, emulators.Broker.GetMessageCounts(queue).ActiveMessageCount);
    }

    private sealed class SlowHandler(TimeSpan duration) : IMessageHandler
    {
        public ConcurrentQueue<int> Deliveries { get; } = new();

        public async Task<MessageOutcome> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
        {
            Deliveries.Enqueue(message.DeliveryCount);
            await Task.Delay(duration, cancellationToken);
            return MessageOutcome.Completed;
        }
    }
}
