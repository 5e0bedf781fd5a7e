using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Extensions.Logging;
using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// A client's receive link: credit from the client pulls messages from the queue; each peek-lock delivery is
/// tagged with its lock token (a GUID, which the client reads as ServiceBusReceivedMessage.LockToken), and the
/// client's disposition for it is applied to the queue and then settled with the resulting outcome.
/// </summary>
internal sealed class ConsumerLink : IMessageConsumer
{
    // The client puts the dead-letter reason and description in the Rejected error's info, under the same
    // names the receiving client later reads them from the application properties.
    private const string DeadLetterReasonKey = QueueEntity.DeadLetterReasonProperty;
    private const string DeadLetterDescriptionKey = QueueEntity.DeadLetterDescriptionProperty;

    private readonly SendingAmqpLink _link;
    private readonly QueueEntity _queue;
    private readonly SubQueueKind _subQueue;
    private readonly ILogger _logger;

    public ConsumerLink(SendingAmqpLink link, QueueEntity queue, SubQueueKind subQueue, ILogger logger)
    {
        _link = link;
        _queue = queue;
        _subQueue = subQueue;
        _logger = logger;
        ReceiveAndDelete = link.Settings.SettleType == SettleMode.SettleOnSend;
    }

    public bool ReceiveAndDelete { get; }

    public void Start()
    {
        _link.RegisterCreditListener(OnCredit);
        _link.RegisterDispositionListener(OnDisposition);
        _link.Closed += (_, _) => _queue.DetachConsumer(_subQueue, this);
        _queue.AttachConsumer(_subQueue, this);
        if (_link.IsClosing())
        {
            // Closed before we attached: the Closed handler already ran and found nothing to detach.
            _queue.DetachConsumer(_subQueue, this);
        }
    }

    public bool TryDeliver(OutgoingMessage message)
    {
        if (_link.IsClosing())
        {
            return false;
        }

        try
        {
            var tag = ReceiveAndDelete ? Guid.NewGuid() : message.LockToken;
            _link.SendMessageNoWait(MessageCodec.BuildOutgoing(message), new ArraySegment<byte>(tag.ToByteArray()), AmqpConstants.NullBinary);
            return true;
        }
        catch (Exception ex) when (ex is AmqpException or InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void OnCredit(uint credit, bool drain, ArraySegment<byte> txnId) =>
        _queue.AddCredit(_subQueue, this, (int)Math.Min(credit, int.MaxValue), drain);

    private void OnDisposition(Delivery delivery)
    {
        if (delivery.State is Received || delivery.State is null)
        {
            return;
        }

        DeliveryState reply;
        try
        {
            reply = Settle(delivery);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException)
        {
            BrokerLog.DispositionFailed(_logger, _queue.Name, ex);
            reply = Rejected(AmqpErrors.ArgumentError, ex.Message);
        }

        _link.DisposeDelivery(delivery, true, reply);
    }

    private DeliveryState Settle(Delivery delivery)
    {
        Settlement? settlement = delivery.State switch
        {
            Accepted => new Settlement.Complete(),
            Released => new Settlement.Release(),
            Modified { UndeliverableHere: true } => null,
            Modified modified => new Settlement.Abandon(ReadFields(modified.MessageAnnotations, except: null)),
            Rejected rejected => new Settlement.DeadLetter(
                rejected.Error?.Info?[DeadLetterReasonKey] as string,
                rejected.Error?.Info?[DeadLetterDescriptionKey] as string,
                ReadFields(rejected.Error?.Info, except: [DeadLetterReasonKey, DeadLetterDescriptionKey])),
            _ => null,
        };
        if (settlement is null)
        {
            return Rejected(AmqpErrors.NotImplemented, "Deferral and transactions are not supported by the local broker.");
        }

        var lockToken = new Guid(delivery.DeliveryTag.AsSpan());
        return _queue.Settle(_subQueue, lockToken, settlement) switch
        {
            // Echoing the client's Rejected would carry its dead-letter "error", which the client reads as a failure.
            SettleResult.Settled => delivery.State is Rejected ? new Rejected() : delivery.State,
            SettleResult.LockLost => Rejected(AmqpErrors.MessageLockLost, "The lock supplied is invalid: it expired, or the message was already settled."),
            _ => Rejected(AmqpErrors.NotAllowed, "A dead-lettered message cannot be dead-lettered again."),
        };
    }

    private static Dictionary<string, object?>? ReadFields(Fields? fields, string[]? except)
    {
        if (fields is null)
        {
            return null;
        }

        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            var name = key.Key is AmqpSymbol symbol ? symbol.Value : key.Key.ToString()!;
            if (except is null || !except.Contains(name, StringComparer.Ordinal))
            {
                properties[name] = value;
            }
        }

        return properties.Count == 0 ? null : properties;
    }

    private static Rejected Rejected(AmqpSymbol condition, string description) =>
        new() { Error = new Error { Condition = condition, Description = description } };
}
