namespace PayConnect.ServiceBusBroker.Store;

/// <summary>The main queue or its dead-letter sub-queue.</summary>
internal enum SubQueueKind
{
    Active,
    DeadLetter,
}

internal enum StoredMessageState
{
    Available,
    Locked,
    Scheduled,
}

/// <summary>A message as a sender sent it (opaque encoded bytes) and what it needs to know about it.</summary>
internal sealed record IncomingMessage(
    byte[] Payload,
    string? MessageId,
    TimeSpan? TimeToLive,
    DateTime? ScheduledEnqueueTimeUtc);

/// <summary>
/// A snapshot taken under the queue lock, encoded into an AMQP message outside it.
/// <see cref="HeaderDeliveryCount"/> is the AMQP header value: failed attempts before this delivery
/// (the client adds one for received messages and reports it as-is for peeked ones).
/// </summary>
internal sealed record OutgoingMessage(
    byte[] Payload,
    long SequenceNumber,
    DateTime EnqueuedTimeUtc,
    int HeaderDeliveryCount,
    Guid LockToken,
    DateTime? LockedUntilUtc,
    bool IsScheduled,
    TimeSpan? TimeToLive,
    DateTime? ExpiresAtUtc,
    IReadOnlyDictionary<string, object?>? PropertyOverrides);

internal sealed class StoredMessage(byte[] payload, long sequenceNumber, string? messageId, TimeSpan? timeToLive)
{
    public byte[] Payload { get; } = payload;

    public long SequenceNumber { get; } = sequenceNumber;

    public string? MessageId { get; } = messageId;

    /// <summary>The effective time to live: the message's own, capped by the queue default.</summary>
    public TimeSpan? TimeToLive { get; } = timeToLive;

    public StoredMessageState State { get; set; }

    public DateTime? ScheduledEnqueueTimeUtc { get; set; }

    public DateTime EnqueuedTimeUtc { get; set; }

    public DateTime ExpiresAtUtc { get; set; } = DateTime.MaxValue;

    /// <summary>Times the message was handed out under a lock (Service Bus "DeliveryCount").</summary>
    public int DeliveryCount { get; set; }

    public Guid LockToken { get; set; }

    public DateTime LockedUntilUtc { get; set; }

    /// <summary>Application properties set by the broker or by a settling receiver (dead-letter reason, properties to modify).</summary>
    public Dictionary<string, object?>? PropertyOverrides { get; private set; }

    public void SetProperty(string name, object? value)
    {
        PropertyOverrides ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        PropertyOverrides[name] = value;
    }

    public void SetProperties(IReadOnlyDictionary<string, object?>? properties)
    {
        if (properties is null)
        {
            return;
        }

        foreach (var (name, value) in properties)
        {
            SetProperty(name, value);
        }
    }

    public void ClearLock()
    {
        LockToken = Guid.Empty;
        LockedUntilUtc = default;
    }

    public OutgoingMessage Snapshot(int headerDeliveryCount, DateTime? lockedUntilUtc) => new(
        Payload,
        SequenceNumber,
        EnqueuedTimeUtc,
        headerDeliveryCount,
        LockToken,
        lockedUntilUtc,
        State == StoredMessageState.Scheduled,
        TimeToLive,
        ExpiresAtUtc == DateTime.MaxValue ? null : ExpiresAtUtc,
        PropertyOverrides is null ? null : new Dictionary<string, object?>(PropertyOverrides, StringComparer.Ordinal));
}
