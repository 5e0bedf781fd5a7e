using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using PayConnect.Observability;
using PayConnect.Runs;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>Limits of one drain invocation.</summary>
public sealed record DrainOptions
{
    /// <summary>Stop taking new messages after this long; messages in hand are finished.</summary>
    public TimeSpan TimeBudget { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>Messages handled at once.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>How long one receive call waits on an empty queue before the drain stops.</summary>
    public TimeSpan IdleWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often locks of messages in hand are renewed.</summary>
    public TimeSpan LockRenewalInterval { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>What one drain invocation did.</summary>
public sealed record DrainResult(int Received, int Completed, int Abandoned, int DeadLettered, int Rescheduled = 0);

/// <summary>
/// Receives from a queue with peek-lock inside a time budget and settles each message itself, because the
/// Functions Service Bus trigger is not available to us (docs/decisions/0001-queue-drain-instead-of-trigger.md).
/// A message is completed only after its handler returned <see cref="MessageOutcome.Complete"/>; a thrown
/// exception abandons it (redelivered, dead-lettered by the broker at MaxDeliveryCount). Each delivery is a consumer
/// span in the trace its message carries (<see cref="MessageTraceContext"/>), linked to the drain invocation; a copy
/// sent again later carries this span's context, so every delivery of a run stays in the run's one trace.
/// </summary>
public sealed class QueueDrain(ServiceBusClient client, ILogger<QueueDrain> logger)
{
    public async Task<DrainResult> DrainAsync(string queueName, IMessageHandler handler, DrainOptions options, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        await using var receiver = client.CreateReceiver(queueName, new ServiceBusReceiverOptions
        {
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            PrefetchCount = 0,
        });
        await using var sender = client.CreateSender(queueName);

        var invocation = Activity.Current?.Context ?? default;
        var clock = Stopwatch.StartNew();
        var inHand = new ConcurrentDictionary<string, ServiceBusReceivedMessage>(StringComparer.Ordinal);
        int received = 0, completed = 0, abandoned = 0, deadLettered = 0, rescheduled = 0;
        using var renewalStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewLocksAsync(receiver, inHand, options.LockRenewalInterval, renewalStop.Token);
        using var slots = new SemaphoreSlim(options.MaxConcurrency);
        var running = new List<Task>();

        try
        {
            while (clock.Elapsed < options.TimeBudget && !cancellationToken.IsCancellationRequested)
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                var free = 1;
                while (free < options.MaxConcurrency && slots.Wait(0))
                {
                    free++;
                }

                IReadOnlyList<ServiceBusReceivedMessage> batch;
                try
                {
                    batch = await receiver.ReceiveMessagesAsync(free, options.IdleWait, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release(free);
                    throw;
                }

                if (free > batch.Count)
                {
                    slots.Release(free - batch.Count);
                }

                if (batch.Count == 0)
                {
                    break;
                }

                foreach (var message in batch)
                {
                    Interlocked.Increment(ref received);
                    inHand[message.LockToken] = message;
                    running.Add(HandleOneAsync(message));
                }

                running.RemoveAll(t => t.IsCompleted);
            }
        }
        finally
        {
            await Task.WhenAll(running).ConfigureAwait(false);
            await renewalStop.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }

        return new DrainResult(received, completed, abandoned, deadLettered, rescheduled);

        async Task HandleOneAsync(ServiceBusReceivedMessage message)
        {
            using var span = StartProcessSpan(queueName, message, invocation);
            try
            {
                var queued = new QueuedMessage(message.MessageId, message.Body.ToMemory(), message.DeliveryCount, message.EnqueuedTime);
                MessageOutcome outcome;
                try
                {
                    outcome = await handler.HandleAsync(queued, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    logger.LogWarning(ex, "Message {MessageId} failed on delivery {DeliveryCount}; releasing it for redelivery", message.MessageId, message.DeliveryCount);
                    Telemetry.Failed(span, ex);
                    outcome = new MessageOutcome.Retry(ex.GetType().Name);
                }

                inHand.TryRemove(message.LockToken, out _);
                span?.SetTag(Telemetry.Tags.Outcome, outcome.GetType().Name);
                switch (outcome)
                {
                    case MessageOutcome.Complete:
                        await receiver.CompleteMessageAsync(message, CancellationToken.None).ConfigureAwait(false);
                        logger.LogDebug("Message {MessageId} completed on delivery {DeliveryCount}", message.MessageId, message.DeliveryCount);
                        Interlocked.Increment(ref completed);
                        break;
                    case MessageOutcome.DeadLetter dead:
                        logger.LogError("Message {MessageId} dead-lettered: {Reason}", message.MessageId, dead.Reason);
                        span?.SetStatus(ActivityStatusCode.Error, dead.Reason);
                        await receiver.DeadLetterMessageAsync(message, dead.Reason, dead.Description, CancellationToken.None).ConfigureAwait(false);
                        Interlocked.Increment(ref deadLettered);
                        break;
                    case MessageOutcome.Reschedule later:
                        // The later copy first: if completing the original then fails, the original comes back and is
                        // handled again (the handler is idempotent); the reverse order could lose the run.
                        try
                        {
                            var copy = new ServiceBusMessage(BinaryData.FromBytes(later.Body))
                            {
                                MessageId = later.MessageId,
                                ContentType = message.ContentType,
                                Subject = message.Subject,
                                ScheduledEnqueueTime = DateTimeOffset.UtcNow + later.Delay,
                            };

                            // The later delivery continues this trace: under this delivery's span, or (nothing listening
                            // here) under whatever the message carried.
                            MessageTraceContext.Write(copy.ApplicationProperties, span?.Context ?? MessageTraceContext.Read(message.ApplicationProperties));
                            await sender.SendMessageAsync(copy, CancellationToken.None).ConfigureAwait(false);
                        }
                        catch (ServiceBusException ex)
                        {
                            logger.LogWarning(ex, "Message {MessageId} could not be sent again later; releasing it for redelivery", message.MessageId);
                            await receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                            Interlocked.Increment(ref abandoned);
                            break;
                        }

                        logger.LogInformation("Message {MessageId} sent again as {NextMessageId} in {Delay}: {Reason}", message.MessageId, later.MessageId, later.Delay, later.Reason);
                        await receiver.CompleteMessageAsync(message, CancellationToken.None).ConfigureAwait(false);
                        Interlocked.Increment(ref rescheduled);
                        break;
                    case MessageOutcome.Retry retry:
                        logger.LogInformation("Message {MessageId} released for retry: {Reason}", message.MessageId, retry.Reason);
                        await receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                        Interlocked.Increment(ref abandoned);
                        break;
                }
            }
            catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessageLockLost)
            {
                // The lock expired while we worked: the broker redelivers it, and the handler is idempotent.
                logger.LogWarning("Lock of message {MessageId} was lost before settlement", message.MessageId);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The host is stopping: the message's lock expires and it is delivered again.
            }
            finally
            {
                inHand.TryRemove(message.LockToken, out _);
                slots.Release();
            }
        }
    }

    /// <summary>The consumer span of one delivery: a child of the context its message carries, linked to the drain invocation.</summary>
    private static Activity? StartProcessSpan(string queueName, ServiceBusReceivedMessage message, ActivityContext invocation)
    {
        var parent = MessageTraceContext.Read(message.ApplicationProperties);
        return Telemetry.Source.StartActivity(
            "process " + queueName,
            ActivityKind.Consumer,
            parent,
            [
                new("messaging.system", "servicebus"),
                new("messaging.operation.type", "process"),
                new("messaging.destination.name", queueName),
                new("messaging.message.id", message.MessageId),
                new("messaging.message.delivery_count", message.DeliveryCount),
            ],
            invocation == default || parent == default ? null : [new ActivityLink(invocation)]);
    }

    private async Task RenewLocksAsync(
        ServiceBusReceiver receiver,
        ConcurrentDictionary<string, ServiceBusReceivedMessage> inHand,
        TimeSpan interval,
        CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                foreach (var message in inHand.Values)
                {
                    try
                    {
                        await receiver.RenewMessageLockAsync(message, cancellationToken).ConfigureAwait(false);
                    }
                    catch (ServiceBusException ex)
                    {
                        logger.LogWarning(ex, "Could not renew the lock of message {MessageId}", message.MessageId);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
