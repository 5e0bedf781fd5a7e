using System.Text.Json;
using Azure.Messaging.ServiceBus;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.DeadLetters;

/// <summary>A dead-lettered message as on-call sees it: where it came from, why it was parked, which run it is.</summary>
public sealed record DeadLetter(
    long SequenceNumber,
    string MessageId,
    string? RunKey,
    DateTimeOffset EnqueuedAt,
    int DeliveryCount,
    string? Reason,
    string? Description,
    string Body,
    IReadOnlyDictionary<string, object> Properties)
{
    public static DeadLetter Of(ServiceBusReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(
            message.SequenceNumber,
            message.MessageId,
            RunKeyOf(message),
            message.EnqueuedTime,
            message.DeliveryCount,
            message.DeadLetterReason,
            message.DeadLetterErrorDescription,
            message.Body.ToString(),
            message.ApplicationProperties.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

    /// <summary>The run the message would process: its body's run key, or (no body) its message id; null when neither is one.</summary>
    public static string? RunKeyOf(ServiceBusReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string? candidate;
        if (message.Body.ToMemory().IsEmpty)
        {
            candidate = message.MessageId;
        }
        else
        {
            try
            {
                candidate = JsonSerializer.Deserialize<RunMessage>(message.Body.ToMemory().Span, RecordJson.Options)?.RunKey;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        return candidate is not null && Scheduling.RunKey.TryParse(candidate, out _) ? candidate : null;
    }
}

/// <summary>What resubmitting one dead-lettered message did.</summary>
public sealed record Resubmitted(long SequenceNumber, string RunKey, string NewMessageId);

/// <summary>
/// The runs queue's dead-letter sub-queue, for on-call: list and show (peek, nothing changes), resubmit (send the run
/// message back to the queue under a new message id, then remove the dead-lettered copy) and purge (remove). A
/// resubmitted run is processed by its run key: the engine resumes from the stored run, so a run that already charged
/// is never charged again (the same idempotency key replays the first charge).
/// </summary>
public sealed class DeadLetterQueue(ServiceBusClient client, string queueName, TimeProvider? time = null)
{
    private const int PageSize = 100;
    private static readonly TimeSpan ReceiveWait = TimeSpan.FromSeconds(3);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string QueueName { get; } = queueName;

    /// <summary>Up to <paramref name="max"/> dead-lettered messages, oldest first; nothing is locked or removed.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int max, CancellationToken cancellationToken)
    {
        await using var receiver = DeadLetterReceiver();
        var found = new List<DeadLetter>();
        long? from = null;
        while (found.Count < max)
        {
            var page = await receiver.PeekMessagesAsync(Math.Min(PageSize, max - found.Count), from, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                break;
            }

            found.AddRange(page.Select(DeadLetter.Of));
            from = page[^1].SequenceNumber + 1;
        }

        return found;
    }

    /// <summary>The dead-lettered message with this sequence number, or null.</summary>
    public async Task<DeadLetter?> ShowAsync(long sequenceNumber, CancellationToken cancellationToken)
    {
        await using var receiver = DeadLetterReceiver();
        var page = await receiver.PeekMessagesAsync(1, sequenceNumber, cancellationToken).ConfigureAwait(false);
        return page.Count == 1 && page[0].SequenceNumber == sequenceNumber ? DeadLetter.Of(page[0]) : null;
    }

    /// <summary>
    /// Sends each chosen run message (all when <paramref name="sequenceNumbers"/> is null) back to the queue under a new
    /// message id — duplicate detection would drop the original id — with the same body, so the same run key, and only
    /// then removes the dead-lettered copy. A message that names no run is left where it is (purge it).
    /// </summary>
    public async Task<(IReadOnlyList<Resubmitted> Done, IReadOnlyList<DeadLetter> NotRuns)> ResubmitAsync(IReadOnlySet<long>? sequenceNumbers, CancellationToken cancellationToken)
    {
        await using var sender = client.CreateSender(QueueName);
        var done = new List<Resubmitted>();
        var notRuns = new List<DeadLetter>();
        await ForEachAsync(sequenceNumbers, async (receiver, message) =>
        {
            if (DeadLetter.RunKeyOf(message) is not { } runKey)
            {
                notRuns.Add(DeadLetter.Of(message));
                return false;
            }

            var copy = new ServiceBusMessage(message.Body)
            {
                MessageId = NewMessageId(runKey, message.SequenceNumber),
                ContentType = message.ContentType,
                Subject = message.Subject,
                CorrelationId = message.MessageId,
            };
            foreach (var (name, value) in message.ApplicationProperties.Where(p => !IsDeadLetterProperty(p.Key)))
            {
                copy.ApplicationProperties[name] = value;
            }

            // Sent first: if removing the dead-lettered copy then fails, it is resubmitted twice at worst, which the
            // run key makes harmless; the reverse order could lose the run.
            await sender.SendMessageAsync(copy, cancellationToken).ConfigureAwait(false);
            await receiver.CompleteMessageAsync(message, cancellationToken).ConfigureAwait(false);
            done.Add(new Resubmitted(message.SequenceNumber, runKey, copy.MessageId));
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return (done, notRuns);
    }

    /// <summary>Removes the chosen dead-lettered messages (all when <paramref name="sequenceNumbers"/> is null).</summary>
    public async Task<IReadOnlyList<DeadLetter>> PurgeAsync(IReadOnlySet<long>? sequenceNumbers, CancellationToken cancellationToken)
    {
        var purged = new List<DeadLetter>();
        await ForEachAsync(sequenceNumbers, async (receiver, message) =>
        {
            await receiver.CompleteMessageAsync(message, cancellationToken).ConfigureAwait(false);
            purged.Add(DeadLetter.Of(message));
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return purged;
    }

    /// <summary>The new message id: the run key (so it reads as the run's) and the dead-letter's sequence number and time.</summary>
    public string NewMessageId(string runKey, long sequenceNumber) =>
        $"{runKey}#resubmit-{sequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)}-{_time.GetUtcNow():yyyyMMddHHmmss}";

    private static bool IsDeadLetterProperty(string name) =>
        name is "DeadLetterReason" or "DeadLetterErrorDescription";

    private ServiceBusReceiver DeadLetterReceiver(ServiceBusReceiveMode mode = ServiceBusReceiveMode.PeekLock) =>
        client.CreateReceiver(QueueName, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter, ReceiveMode = mode, PrefetchCount = 0 });

    /// <summary>
    /// Receives (peek-lock) through the dead-letter queue once; <paramref name="act"/> settles the chosen messages
    /// (true) or leaves them (false). Messages not settled are released at the end; a message seen twice means the
    /// queue has been gone through.
    /// </summary>
    private async Task ForEachAsync(IReadOnlySet<long>? chosen, Func<ServiceBusReceiver, ServiceBusReceivedMessage, Task<bool>> act, CancellationToken cancellationToken)
    {
        await using var receiver = DeadLetterReceiver();
        var seen = new HashSet<long>();
        var held = new List<ServiceBusReceivedMessage>();
        try
        {
            while (chosen is null || chosen.Except(seen).Any())
            {
                var batch = await receiver.ReceiveMessagesAsync(PageSize, ReceiveWait, cancellationToken).ConfigureAwait(false);
                if (batch.Count == 0)
                {
                    break;
                }

                var fresh = false;
                foreach (var message in batch)
                {
                    if (!seen.Add(message.SequenceNumber))
                    {
                        held.Add(message);
                        continue;
                    }

                    fresh = true;
                    if (chosen is not null && !chosen.Contains(message.SequenceNumber))
                    {
                        held.Add(message);
                    }
                    else if (!await act(receiver, message).ConfigureAwait(false))
                    {
                        held.Add(message);
                    }
                }

                if (!fresh)
                {
                    break;
                }
            }
        }
        finally
        {
            foreach (var message in held)
            {
                try
                {
                    await receiver.AbandonMessageAsync(message, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                }
                catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessageLockLost)
                {
                    // Its lock ran out meanwhile: it is available again anyway.
                }
            }
        }
    }
}
