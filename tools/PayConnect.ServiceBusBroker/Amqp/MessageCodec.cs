using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;
using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// Moves messages between AMQP and the store. The store keeps each message exactly as the sender encoded it;
/// on the way out the message is decoded, given the broker's header and annotations, and re-encoded with its
/// body bytes untouched.
/// </summary>
internal static class MessageCodec
{
    // Message annotations and application properties the Service Bus client reads (Azure.Messaging.ServiceBus AmqpMessageConstants).
    public const string SequenceNumberAnnotation = "x-opt-sequence-number";
    public const string EnqueuedTimeAnnotation = "x-opt-enqueued-time";
    public const string LockedUntilAnnotation = "x-opt-locked-until";
    public const string ScheduledEnqueueTimeAnnotation = "x-opt-scheduled-enqueue-time";
    public const string MessageStateAnnotation = "x-opt-message-state";

    private const int ScheduledMessageState = 2;

    /// <summary>Splits a transfer into the messages it carries: one, or several for the batch message format.</summary>
    public static IReadOnlyList<IncomingMessage> ReadTransfer(AmqpMessage transfer)
    {
        if (transfer.MessageFormat == AmqpConstants.AmqpBatchedMessageFormat)
        {
            var messages = new List<IncomingMessage>();
            foreach (var data in transfer.DataBody ?? [])
            {
                var segment = (ArraySegment<byte>)data.Value;
                messages.Add(Read(segment.ToArray()));
            }

            return messages;
        }

        return [Read(CopyPayload(transfer))];
    }

    /// <summary>Reads what the store needs from an encoded message.</summary>
    public static IncomingMessage Read(byte[] payload)
    {
        using var message = Decode(payload, payloadInitialized: true);
        var header = message.Header;
        TimeSpan? timeToLive = header?.Ttl is { } ttl and > 0 ? TimeSpan.FromMilliseconds(ttl) : null;
        DateTime? scheduledAt = message.MessageAnnotations?.Map[ScheduledEnqueueTimeAnnotation] is DateTime scheduled
            ? DateTime.SpecifyKind(scheduled, DateTimeKind.Utc)
            : null;
        return new IncomingMessage(payload, message.Properties?.MessageId?.ToString(), timeToLive, scheduledAt);
    }

    /// <summary>Builds the message a receiver gets: sender's sections and body plus the broker's header and annotations.</summary>
    public static AmqpMessage BuildOutgoing(OutgoingMessage outgoing)
    {
        // payloadInitialized: false makes the stream message re-encode its (modified) sections on send.
        var message = Decode(outgoing.Payload, payloadInitialized: false);
        message.Header.DeliveryCount = (uint)Math.Max(0, outgoing.HeaderDeliveryCount);
        if (outgoing.TimeToLive is { } ttl)
        {
            message.Header.Ttl = (uint)Math.Min(ttl.TotalMilliseconds, uint.MaxValue);
        }

        // A sender that sets a time to live also stamps creation and absolute-expiry times from its own clock, and
        // the receiving client derives TimeToLive and ExpiresAt from those: restamp them with the broker's view.
        if (outgoing.ExpiresAtUtc is { } expiresAt && message.Properties is { AbsoluteExpiryTime: not null } properties)
        {
            properties.CreationTime = outgoing.EnqueuedTimeUtc;
            properties.AbsoluteExpiryTime = expiresAt;
        }

        var annotations = message.MessageAnnotations.Map;
        annotations[SequenceNumberAnnotation] = outgoing.SequenceNumber;
        annotations[EnqueuedTimeAnnotation] = outgoing.EnqueuedTimeUtc;
        if (outgoing.LockedUntilUtc is { } lockedUntil)
        {
            annotations[LockedUntilAnnotation] = lockedUntil;
        }

        if (outgoing.IsScheduled)
        {
            annotations[MessageStateAnnotation] = ScheduledMessageState;
        }

        if (outgoing.PropertyOverrides is { Count: > 0 } overrides)
        {
            message.ApplicationProperties ??= new ApplicationProperties();
            foreach (var (name, value) in overrides)
            {
                message.ApplicationProperties.Map[name] = value;
            }
        }

        // Encode now, so the size the link sees is the size it sends.
        message.GetPayload();
        return message;
    }

    /// <summary>The encoded form, as the management operations carry messages.</summary>
    public static byte[] Encode(OutgoingMessage outgoing)
    {
        using var message = BuildOutgoing(outgoing);
        return Concat(message.GetPayload());
    }

    /// <summary>Copies the bytes of a received message; the link reuses its buffers once the message is disposed.</summary>
    public static byte[] CopyPayload(AmqpMessage message)
    {
        if (message.ToStream() is BufferListStream stream)
        {
            using var clone = (BufferListStream)stream.Clone();
            var bytes = new byte[clone.Length];
            clone.ReadExactly(bytes);
            return bytes;
        }

        return Concat(message.GetPayload());
    }

    private static AmqpMessage Decode(byte[] payload, bool payloadInitialized)
    {
        var message = AmqpMessage.CreateAmqpStreamMessage(new BufferListStream([new ArraySegment<byte>(payload)]), payloadInitialized);
        message.Deserialize(SectionFlag.All);
        return message;
    }

    private static byte[] Concat(ArraySegment<byte>[] segments)
    {
        var bytes = new byte[segments.Sum(s => s.Count)];
        var offset = 0;
        foreach (var segment in segments)
        {
            segment.AsSpan().CopyTo(bytes.AsSpan(offset));
            offset += segment.Count;
        }

        return bytes;
    }
}
