using System.Collections;
using System.Globalization;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Extensions.Logging;
using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// The "$management" node of a queue or its dead-letter sub-queue. Requests carry the operation in the
/// application property "operation" and their arguments in an AMQP map body; responses carry "statusCode"
/// (an int), "statusDescription", optionally "errorCondition" (a symbol), and a map body.
/// Names follow Azure.Messaging.ServiceBus ManagementConstants.
/// </summary>
internal sealed class ManagementNode(ILogger logger)
{
    private const string RenewLock = "com.microsoft:renew-lock";
    private const string PeekMessage = "com.microsoft:peek-message";
    private const string ScheduleMessage = "com.microsoft:schedule-message";
    private const string CancelScheduledMessage = "com.microsoft:cancel-scheduled-message";
    private const string UpdateDisposition = "com.microsoft:update-disposition";

    private static readonly MapKey LockTokens = new("lock-tokens");
    private static readonly MapKey Expirations = new("expirations");
    private static readonly MapKey FromSequenceNumber = new("from-sequence-number");
    private static readonly MapKey MessageCount = new("message-count");
    private static readonly MapKey Messages = new("messages");
    private static readonly MapKey Message = new("message");
    private static readonly MapKey SequenceNumbers = new("sequence-numbers");
    private static readonly MapKey DispositionStatus = new("disposition-status");
    private static readonly MapKey DeadLetterReason = new("deadletter-reason");
    private static readonly MapKey DeadLetterDescription = new("deadletter-description");
    private static readonly MapKey PropertiesToModify = new("properties-to-modify");

    public AmqpMessage Handle(QueueEntity queue, SubQueueKind subQueue, AmqpMessage request)
    {
        var operation = request.ApplicationProperties?.Map["operation"] as string;
        AmqpMessage response;
        try
        {
            var body = request.ValueBody?.Value as AmqpMap ?? new AmqpMap();
            response = operation switch
            {
                RenewLock => HandleRenewLock(queue, subQueue, body),
                PeekMessage => HandlePeek(queue, subQueue, body),
                ScheduleMessage when subQueue == SubQueueKind.Active => HandleSchedule(queue, body),
                CancelScheduledMessage when subQueue == SubQueueKind.Active => HandleCancelScheduled(queue, body),
                UpdateDisposition => HandleUpdateDisposition(queue, subQueue, body),
                _ => Response(501, $"Operation '{operation}' is not supported by the local broker.", AmqpErrors.NotImplemented),
            };
        }
        catch (Exception ex) when (ex is InvalidCastException or ArgumentException or FormatException or OverflowException)
        {
            BrokerLog.ManagementOperationFailed(logger, operation, queue.Name, ex);
            response = Response(400, ex.Message, AmqpErrors.ArgumentError);
        }
        catch (ObjectDisposedException)
        {
            response = Response(503, "The broker is shutting down.", AmqpErrors.ServerBusy);
        }

        BrokerLog.ManagementOperation(logger, operation, queue.Name, (int)response.ApplicationProperties.Map["statusCode"]);
        return response;
    }

    private static AmqpMessage HandleRenewLock(QueueEntity queue, SubQueueKind subQueue, AmqpMap body)
    {
        var lockedUntil = queue.RenewLocks(subQueue, ReadGuids(Required(body, LockTokens)));
        return lockedUntil is null
            ? LockLost()
            : Response(200, body: new AmqpMap { [Expirations] = lockedUntil.ToArray() });
    }

    private static AmqpMessage HandlePeek(QueueEntity queue, SubQueueKind subQueue, AmqpMap body)
    {
        var from = Convert.ToInt64(Required(body, FromSequenceNumber), CultureInfo.InvariantCulture);
        var count = Convert.ToInt32(Required(body, MessageCount), CultureInfo.InvariantCulture);
        var messages = queue.Peek(subQueue, from, count);
        if (messages.Count == 0)
        {
            return Response(204, "No messages to peek.");
        }

        var encoded = new List<object>(messages.Count);
        foreach (var message in messages)
        {
            encoded.Add(new AmqpMap { [Message] = new ArraySegment<byte>(MessageCodec.Encode(message)) });
        }

        return Response(200, body: new AmqpMap { [Messages] = encoded });
    }

    private static AmqpMessage HandleSchedule(QueueEntity queue, AmqpMap body)
    {
        var incoming = new List<IncomingMessage>();
        foreach (var entry in (IEnumerable)Required(body, Messages))
        {
            var segment = (ArraySegment<byte>)Required((AmqpMap)entry, Message);
            incoming.Add(MessageCodec.Read(segment.ToArray()));
        }

        var sequenceNumbers = queue.Enqueue(incoming);
        return Response(200, body: new AmqpMap { [SequenceNumbers] = sequenceNumbers.ToArray() });
    }

    private static AmqpMessage HandleCancelScheduled(QueueEntity queue, AmqpMap body)
    {
        queue.CancelScheduled(((IEnumerable)Required(body, SequenceNumbers)).Cast<object>().Select(n => Convert.ToInt64(n, CultureInfo.InvariantCulture)));
        return Response(200);
    }

    private static AmqpMessage HandleUpdateDisposition(QueueEntity queue, SubQueueKind subQueue, AmqpMap body)
    {
        var properties = body[PropertiesToModify] is AmqpMap map ? ReadProperties(map) : null;
        Settlement? settlement = (body[DispositionStatus] as string) switch
        {
            "completed" => new Settlement.Complete(),
            "abandoned" => new Settlement.Abandon(properties),
            "suspended" => new Settlement.DeadLetter(body[DeadLetterReason] as string, body[DeadLetterDescription] as string, properties),
            _ => null,
        };
        if (settlement is null)
        {
            return Response(501, "Only complete, abandon and dead-letter dispositions are supported (no deferral).", AmqpErrors.NotImplemented);
        }

        foreach (var lockToken in ReadGuids(Required(body, LockTokens)))
        {
            switch (queue.Settle(subQueue, lockToken, settlement))
            {
                case SettleResult.LockLost:
                    return LockLost();
                case SettleResult.NotAllowed:
                    return Response(400, "A dead-lettered message cannot be dead-lettered again.", AmqpErrors.NotAllowed);
            }
        }

        return Response(200);
    }

    private static List<Guid> ReadGuids(object? value) => value switch
    {
        Guid single => [single],
        IEnumerable many => many.Cast<object>().Select(g => (Guid)g).ToList(),
        _ => throw new ArgumentException("lock-tokens must be a list of UUIDs."),
    };

    private static object Required(AmqpMap map, MapKey key) =>
        map[key] ?? throw new ArgumentException($"The request has no '{key.Key}'.");

    private static Dictionary<string, object?> ReadProperties(AmqpMap map)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var entry in map)
        {
            properties[entry.Key.Key.ToString()!] = entry.Value;
        }

        return properties;
    }

    private static AmqpMessage LockLost() =>
        Response(410, "The lock supplied is invalid: it expired, or the message was already settled.", AmqpErrors.MessageLockLost);

    private static AmqpMessage Response(int statusCode, string? description = null, AmqpSymbol? errorCondition = null, AmqpMap? body = null)
    {
        var response = AmqpMessage.Create(new AmqpValue { Value = body ?? new AmqpMap() });
        response.ApplicationProperties = new ApplicationProperties();
        response.ApplicationProperties.Map["statusCode"] = statusCode;
        if (description is not null)
        {
            response.ApplicationProperties.Map["statusDescription"] = description;
        }

        if (errorCondition is { } condition)
        {
            response.ApplicationProperties.Map["errorCondition"] = condition;
        }

        return response;
    }
}
