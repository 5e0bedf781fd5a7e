using System.Text.Json;
using Azure.Messaging.ServiceBus;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>Sends due runs to the runs queue in batches; MessageId = run key, so the queue's duplicate detection applies.</summary>
public sealed class ServiceBusRunQueue(ServiceBusClient client, QueueNames queues) : IRunQueue, IAsyncDisposable
{
    private readonly ServiceBusSender _sender = client.CreateSender(queues.Runs);

    public Task SendAsync(IReadOnlyList<RunDispatch> runs, CancellationToken cancellationToken) =>
        SendAllAsync(runs.Select(r => ToMessage(r.MessageId ?? r.Key.Format(), new RunMessage(r.Key.Format()) { After = r.After })), cancellationToken);

    public Task SendRetriesAsync(IReadOnlyList<RunRetryEntry> retries, CancellationToken cancellationToken) =>
        SendAllAsync(retries.Select(r => ToMessage(r.MessageId, new RunMessage(r.RunKey))), cancellationToken);

    private async Task SendAllAsync(IEnumerable<ServiceBusMessage> messages, CancellationToken cancellationToken)
    {
        var pending = new Queue<ServiceBusMessage>(messages);
        while (pending.Count > 0)
        {
            using var batch = await _sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
            while (pending.Count > 0 && batch.TryAddMessage(pending.Peek()))
            {
                pending.Dequeue();
            }

            if (batch.Count == 0)
            {
                throw new InvalidOperationException("A run message does not fit in an empty batch.");
            }

            await _sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _sender.DisposeAsync();

    private static ServiceBusMessage ToMessage(string messageId, RunMessage body) =>
        new(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(body, RecordJson.Options)))
        {
            MessageId = messageId,
            ContentType = "application/json",
            Subject = "autopay-run",
        };
}
