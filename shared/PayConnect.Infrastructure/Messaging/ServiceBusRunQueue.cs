using System.Diagnostics;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PayConnect.Observability;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>
/// Sends due runs to the runs queue in batches; MessageId = run key, so the queue's duplicate detection applies. Each
/// message begins the trace of its run: a producer span of its own (linked to the fan-out, or the run, that sent it)
/// whose context the message carries (<see cref="MessageTraceContext"/>), so the drain, the gateway call and the
/// postings of that run join it.
/// </summary>
public sealed class ServiceBusRunQueue(ServiceBusClient client, QueueNames queues, ILogger<ServiceBusRunQueue>? logger = null) : IRunQueue, IAsyncDisposable
{
    private readonly ServiceBusSender _sender = client.CreateSender(queues.Runs);
    private readonly ILogger _logger = logger ?? NullLogger<ServiceBusRunQueue>.Instance;

    public Task SendAsync(IReadOnlyList<RunDispatch> runs, CancellationToken cancellationToken) =>
        SendAllAsync(runs.Select(r => (r.MessageId ?? r.Key.Format(), new RunMessage(r.Key.Format()) { After = r.After })).ToList(), cancellationToken);

    public Task SendRetriesAsync(IReadOnlyList<RunRetryEntry> retries, CancellationToken cancellationToken) =>
        SendAllAsync(retries.Select(r => (r.MessageId, new RunMessage(r.RunKey))).ToList(), cancellationToken);

    private async Task SendAllAsync(IReadOnlyList<(string MessageId, RunMessage Body)> runs, CancellationToken cancellationToken)
    {
        var sentBy = Activity.Current?.Context ?? default;
        var pending = new Queue<(ServiceBusMessage Message, Activity? Span, string RunKey)>(runs.Select(r => ToMessage(r.MessageId, r.Body, sentBy)));
        try
        {
            while (pending.Count > 0)
            {
                using var batch = await _sender.CreateMessageBatchAsync(cancellationToken).ConfigureAwait(false);
                var inBatch = new List<(ServiceBusMessage Message, Activity? Span, string RunKey)>();
                while (pending.Count > 0 && batch.TryAddMessage(pending.Peek().Message))
                {
                    inBatch.Add(pending.Dequeue());
                }

                if (batch.Count == 0)
                {
                    throw new InvalidOperationException("A run message does not fit in an empty batch.");
                }

                try
                {
                    await _sender.SendMessagesAsync(batch, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    foreach (var (_, span, _) in inBatch)
                    {
                        Telemetry.Failed(span, ex);
                        MessageTraceContext.StopDetached(span);
                    }

                    throw;
                }

                foreach (var (message, span, runKey) in inBatch)
                {
                    MessageTraceContext.StopDetached(span);
                    _logger.LogInformation("Run {RunKey} queued as message {MessageId}", runKey, message.MessageId);
                }
            }
        }
        finally
        {
            // Runs never sent (a failed batch before them, or cancellation): their spans end unsent.
            foreach (var (_, span, _) in pending)
            {
                span?.SetStatus(ActivityStatusCode.Error, "not sent");
                MessageTraceContext.StopDetached(span);
            }
        }
    }

    public ValueTask DisposeAsync() => _sender.DisposeAsync();

    private (ServiceBusMessage, Activity?, string) ToMessage(string messageId, RunMessage body, ActivityContext sentBy)
    {
        var message = new ServiceBusMessage(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(body, RecordJson.Options)))
        {
            MessageId = messageId,
            ContentType = "application/json",
            Subject = "autopay-run",
        };
        var span = MessageTraceContext.StartDetached(Telemetry.Source, "send " + queues.Runs, ActivityKind.Producer, sentBy,
        [
            new(Telemetry.Tags.RunKey, body.RunKey),
            new("messaging.system", "servicebus"),
            new("messaging.operation.type", "send"),
            new("messaging.destination.name", queues.Runs),
            new("messaging.message.id", messageId),
        ]);
        MessageTraceContext.Write(message.ApplicationProperties, span?.Context ?? default);
        return (message, span, body.RunKey);
    }
}
