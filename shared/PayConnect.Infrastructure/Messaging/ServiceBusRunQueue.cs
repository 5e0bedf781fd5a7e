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

    public async Task SendAsync(IReadOnlyList<RunKey> runs, CancellationToken cancellationToken)
    {
        var pending = new Queue<ServiceBusMessage>(runs.Select(ToMessage));
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

    private static ServiceBusMessage ToMessage(RunKey run) =>
        new(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(new RunMessage(run.Format()), RecordJson.Options)))
        {
            MessageId = run.Format(),
            ContentType = "application/json",
            Subject = "autopay-run",
        };
}
