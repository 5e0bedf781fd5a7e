using Microsoft.Extensions.Logging;

namespace PayConnect.ServiceBusBroker.Store;

/// <summary>
/// One queue and its dead-letter sub-queue: ordering, locks, redelivery, scheduling, expiry and duplicate detection.
/// One lock guards both sub-queues (a dead-letter move touches both); links are called only outside it.
/// Deadlines (lock expiry, scheduled activation, time to live) sit in a priority queue served by one timer,
/// checked again when they fire, so a renewed lock or a settled message simply makes its old deadline stale.
/// </summary>
internal sealed class QueueEntity : IDisposable
{
    internal const string DeadLetterReasonProperty = "DeadLetterReason";
    internal const string DeadLetterDescriptionProperty = "DeadLetterErrorDescription";
    internal const string MaxDeliveryCountExceeded = "MaxDeliveryCountExceeded";

    private readonly object _sync = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SubQueue _active = new(SubQueueKind.Active);
    private readonly SubQueue _deadLetter = new(SubQueueKind.DeadLetter);
    private readonly PriorityQueue<Deadline, DateTime> _deadlines = new();
    private readonly Dictionary<string, long> _duplicateHistory = new(StringComparer.Ordinal);
    private readonly Queue<(string MessageId, long SequenceNumber, DateTime ForgetAt)> _duplicateExpiry = new();
    private readonly ITimer _timer;
    private DateTime _timerDueAt = DateTime.MaxValue;
    private long _lastSequenceNumber;
    private bool _disposed;

    public QueueEntity(QueueOptions options, TimeProvider time, ILogger logger)
    {
        Options = options;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(static state => ((QueueEntity)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public QueueOptions Options { get; }

    public string Name => Options.Name;

    private DateTime UtcNow => _time.GetUtcNow().UtcDateTime;

    /// <summary>Stores messages; returns each one's sequence number (a dropped duplicate gets the original's).</summary>
    public IReadOnlyList<long> Enqueue(IReadOnlyList<IncomingMessage> messages)
    {
        var sequenceNumbers = new long[messages.Count];
        List<Delivery> deliveries;
        lock (_sync)
        {
            ThrowIfDisposed();
            var now = UtcNow;
            ForgetExpiredDuplicates(now);
            for (var i = 0; i < messages.Count; i++)
            {
                sequenceNumbers[i] = EnqueueLocked(messages[i], now);
            }

            deliveries = DispatchLocked(now);
        }

        Deliver(deliveries);
        return sequenceNumbers;
    }

    /// <summary>Removes scheduled messages that have not been enqueued yet; numbers of other or unknown messages are ignored.</summary>
    public void CancelScheduled(IEnumerable<long> sequenceNumbers)
    {
        lock (_sync)
        {
            foreach (var sequenceNumber in sequenceNumbers)
            {
                if (_active.All.TryGetValue(sequenceNumber, out var message) && message.State == StoredMessageState.Scheduled)
                {
                    _active.All.Remove(sequenceNumber);
                    BrokerLog.ScheduledMessageCancelled(_logger, Name, sequenceNumber);
                }
            }
        }
    }

    public void AttachConsumer(SubQueueKind kind, IMessageConsumer consumer)
    {
        lock (_sync)
        {
            ThrowIfDisposed();
            Sub(kind).Consumers.Add(new ConsumerCredit(consumer));
        }
    }

    /// <summary>
    /// Forgets the consumer. Messages it holds stay locked until their lock expires, as in Service Bus:
    /// the client may still settle them by lock token over $management.
    /// </summary>
    public void DetachConsumer(SubQueueKind kind, IMessageConsumer consumer)
    {
        lock (_sync)
        {
            Sub(kind).Consumers.RemoveAll(c => ReferenceEquals(c.Consumer, consumer));
        }
    }

    /// <summary>Adds link credit and sends what it allows; with drain, unused credit is dropped afterwards.</summary>
    public void AddCredit(SubQueueKind kind, IMessageConsumer consumer, int credit, bool drain)
    {
        List<Delivery> deliveries;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            var state = Sub(kind).Consumers.Find(c => ReferenceEquals(c.Consumer, consumer));
            if (state is null)
            {
                return;
            }

            state.Credit += credit;
            deliveries = DispatchLocked(UtcNow);
            if (drain)
            {
                state.Credit = 0;
            }
        }

        // Still inside the credit callback, so a drain sees these messages before it closes the credit window.
        Deliver(deliveries);
    }

    public SettleResult Settle(SubQueueKind kind, Guid lockToken, Settlement settlement)
    {
        List<Delivery> deliveries;
        SettleResult result;
        lock (_sync)
        {
            var now = UtcNow;
            result = SettleLocked(Sub(kind), lockToken, settlement, now);
            deliveries = DispatchLocked(now);
        }

        Deliver(deliveries);
        return result;
    }

    /// <summary>Extends the locks; null when any of them is no longer held (expired, settled or unknown).</summary>
    public IReadOnlyList<DateTime>? RenewLocks(SubQueueKind kind, IReadOnlyList<Guid> lockTokens)
    {
        var lockedUntil = new DateTime[lockTokens.Count];
        var allHeld = true;
        List<Delivery> deliveries;
        lock (_sync)
        {
            var now = UtcNow;
            var sub = Sub(kind);
            for (var i = 0; i < lockTokens.Count && allHeld; i++)
            {
                if (!TryGetLiveLock(sub, lockTokens[i], now, out var message))
                {
                    allHeld = false;
                    continue;
                }

                message.LockedUntilUtc = now + Options.LockDuration;
                AddDeadline(new Deadline(DeadlineKind.LockExpiry, kind, message.SequenceNumber, message.LockToken), message.LockedUntilUtc);
                lockedUntil[i] = message.LockedUntilUtc;
            }

            deliveries = DispatchLocked(now);
        }

        Deliver(deliveries);
        return allHeld ? lockedUntil : null;
    }

    /// <summary>Messages from a sequence number on, in order, whatever their state, without locking them.</summary>
    public IReadOnlyList<OutgoingMessage> Peek(SubQueueKind kind, long fromSequenceNumber, int maxMessages)
    {
        var result = new List<OutgoingMessage>();
        lock (_sync)
        {
            var now = UtcNow;
            foreach (var (sequenceNumber, message) in Sub(kind).All)
            {
                if (result.Count >= maxMessages)
                {
                    break;
                }

                if (sequenceNumber < fromSequenceNumber || message.ExpiresAtUtc <= now)
                {
                    continue;
                }

                var lockedUntil = message.State == StoredMessageState.Locked ? message.LockedUntilUtc : (DateTime?)null;
                result.Add(message.Snapshot(message.DeliveryCount, lockedUntil));
            }
        }

        return result;
    }

    public QueueMessageCounts GetCounts()
    {
        lock (_sync)
        {
            var active = _active.Available.Count + _active.Locked.Count;
            return new QueueMessageCounts(
                ActiveMessageCount: active,
                LockedMessageCount: _active.Locked.Count,
                ScheduledMessageCount: _active.All.Count - active,
                DeadLetterMessageCount: _deadLetter.All.Count);
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
            _active.Consumers.Clear();
            _deadLetter.Consumers.Clear();
        }

        _timer.Dispose();
    }

    private long EnqueueLocked(IncomingMessage incoming, DateTime now)
    {
        var detectDuplicates = Options.RequiresDuplicateDetection && incoming.MessageId is not null;
        if (detectDuplicates && _duplicateHistory.TryGetValue(incoming.MessageId!, out var original))
        {
            BrokerLog.DuplicateDropped(_logger, Name, incoming.MessageId!, original);
            return original;
        }

        var sequenceNumber = ++_lastSequenceNumber;
        if (detectDuplicates)
        {
            _duplicateHistory[incoming.MessageId!] = sequenceNumber;
            _duplicateExpiry.Enqueue((incoming.MessageId!, sequenceNumber, now + Options.DuplicateDetectionHistoryTimeWindow));
        }

        var timeToLive = (incoming.TimeToLive, Options.DefaultMessageTimeToLive) switch
        {
            ({ } own, { } queueDefault) => own < queueDefault ? own : queueDefault,
            (var own, var queueDefault) => own ?? queueDefault,
        };
        var message = new StoredMessage(incoming.Payload, sequenceNumber, incoming.MessageId, timeToLive);
        _active.All.Add(sequenceNumber, message);

        if (incoming.ScheduledEnqueueTimeUtc is { } scheduledAt && scheduledAt > now)
        {
            message.State = StoredMessageState.Scheduled;
            message.ScheduledEnqueueTimeUtc = scheduledAt;
            AddDeadline(new Deadline(DeadlineKind.Activation, SubQueueKind.Active, sequenceNumber, Guid.Empty), scheduledAt);
        }
        else
        {
            Activate(message, now);
        }

        return sequenceNumber;
    }

    private void Activate(StoredMessage message, DateTime now)
    {
        message.EnqueuedTimeUtc = now;
        if (message.TimeToLive is { } ttl && DateTime.MaxValue - now > ttl)
        {
            message.ExpiresAtUtc = now + ttl;
            AddDeadline(new Deadline(DeadlineKind.Expiry, SubQueueKind.Active, message.SequenceNumber, Guid.Empty), message.ExpiresAtUtc);
        }

        message.State = StoredMessageState.Available;
        _active.Available.Add(message.SequenceNumber);
    }

    private SettleResult SettleLocked(SubQueue sub, Guid lockToken, Settlement settlement, DateTime now)
    {
        if (!TryGetLiveLock(sub, lockToken, now, out var message))
        {
            return SettleResult.LockLost;
        }

        if (settlement is Settlement.DeadLetter && sub.Kind == SubQueueKind.DeadLetter)
        {
            return SettleResult.NotAllowed;
        }

        sub.Locked.Remove(lockToken);
        message.ClearLock();
        switch (settlement)
        {
            case Settlement.Complete:
                sub.All.Remove(message.SequenceNumber);
                break;
            case Settlement.Release:
                message.DeliveryCount--;
                ReturnToAvailable(sub, message, now);
                break;
            case Settlement.Abandon abandon:
                message.SetProperties(abandon.PropertiesToModify);
                AfterFailedDelivery(sub, message, now);
                break;
            case Settlement.DeadLetter deadLetter:
                message.SetProperties(deadLetter.PropertiesToModify);
                MoveToDeadLetter(message, deadLetter.Reason, deadLetter.Description);
                break;
        }

        return SettleResult.Settled;
    }

    /// <summary>Finds a held lock; one found expired is expired on the spot (the timer may not have run yet).</summary>
    private bool TryGetLiveLock(SubQueue sub, Guid lockToken, DateTime now, out StoredMessage message)
    {
        if (!sub.Locked.TryGetValue(lockToken, out message!))
        {
            return false;
        }

        if (message.LockedUntilUtc > now)
        {
            return true;
        }

        ExpireLock(sub, message, now);
        return false;
    }

    private void ExpireLock(SubQueue sub, StoredMessage message, DateTime now)
    {
        BrokerLog.LockExpired(_logger, Name, message.SequenceNumber, message.DeliveryCount);
        sub.Locked.Remove(message.LockToken);
        message.ClearLock();
        AfterFailedDelivery(sub, message, now);
    }

    private void AfterFailedDelivery(SubQueue sub, StoredMessage message, DateTime now)
    {
        if (sub.Kind == SubQueueKind.Active && message.DeliveryCount >= Options.MaxDeliveryCount)
        {
            MoveToDeadLetter(
                message,
                MaxDeliveryCountExceeded,
                $"Message could not be consumed after {Options.MaxDeliveryCount} delivery attempts.");
            return;
        }

        ReturnToAvailable(sub, message, now);
    }

    private void ReturnToAvailable(SubQueue sub, StoredMessage message, DateTime now)
    {
        if (message.ExpiresAtUtc <= now)
        {
            sub.All.Remove(message.SequenceNumber);
            BrokerLog.MessageExpired(_logger, Name, message.SequenceNumber);
            return;
        }

        message.State = StoredMessageState.Available;
        sub.Available.Add(message.SequenceNumber);
    }

    private void MoveToDeadLetter(StoredMessage message, string? reason, string? description)
    {
        _active.All.Remove(message.SequenceNumber);
        _active.Available.Remove(message.SequenceNumber);
        if (reason is not null)
        {
            message.SetProperty(DeadLetterReasonProperty, reason);
        }

        if (description is not null)
        {
            message.SetProperty(DeadLetterDescriptionProperty, description);
        }

        // Dead-lettered messages do not expire.
        message.ExpiresAtUtc = DateTime.MaxValue;
        message.State = StoredMessageState.Available;
        _deadLetter.All.Add(message.SequenceNumber, message);
        _deadLetter.Available.Add(message.SequenceNumber);
        BrokerLog.DeadLettered(_logger, Name, message.SequenceNumber, reason);
    }

    /// <summary>Pairs available messages with consumers that have credit, round robin, locking (or removing) each one.</summary>
    private List<Delivery> DispatchLocked(DateTime now)
    {
        var deliveries = new List<Delivery>();
        DispatchLocked(_active, now, deliveries);
        DispatchLocked(_deadLetter, now, deliveries);
        return deliveries;
    }

    private void DispatchLocked(SubQueue sub, DateTime now, List<Delivery> deliveries)
    {
        while (sub.Available.Count > 0 && NextConsumerWithCredit(sub) is { } consumer)
        {
            var sequenceNumber = sub.Available.Min;
            sub.Available.Remove(sequenceNumber);
            var message = sub.All[sequenceNumber];
            if (message.ExpiresAtUtc <= now)
            {
                sub.All.Remove(sequenceNumber);
                BrokerLog.MessageExpired(_logger, Name, sequenceNumber);
                continue;
            }

            consumer.Credit--;
            if (consumer.Consumer.ReceiveAndDelete)
            {
                sub.All.Remove(sequenceNumber);
                deliveries.Add(new Delivery(sub.Kind, consumer.Consumer, message, message.Snapshot(message.DeliveryCount, null)));
                continue;
            }

            message.DeliveryCount++;
            message.State = StoredMessageState.Locked;
            message.LockToken = Guid.NewGuid();
            message.LockedUntilUtc = now + Options.LockDuration;
            sub.Locked.Add(message.LockToken, message);
            AddDeadline(new Deadline(DeadlineKind.LockExpiry, sub.Kind, sequenceNumber, message.LockToken), message.LockedUntilUtc);
            deliveries.Add(new Delivery(sub.Kind, consumer.Consumer, message, message.Snapshot(message.DeliveryCount - 1, message.LockedUntilUtc)));
        }
    }

    private static ConsumerCredit? NextConsumerWithCredit(SubQueue sub)
    {
        var count = sub.Consumers.Count;
        for (var i = 0; i < count; i++)
        {
            var candidate = sub.Consumers[(sub.NextConsumer + i) % count];
            if (candidate.Credit > 0)
            {
                sub.NextConsumer = (sub.NextConsumer + i + 1) % count;
                return candidate;
            }
        }

        return null;
    }

    private void Deliver(List<Delivery> deliveries)
    {
        foreach (var delivery in deliveries)
        {
            if (!delivery.Consumer.TryDeliver(delivery.Outgoing))
            {
                Undeliverable(delivery);
            }
        }
    }

    /// <summary>The link went away between dispatch and send: put the message back without counting a delivery.</summary>
    private void Undeliverable(Delivery delivery)
    {
        List<Delivery> retries;
        lock (_sync)
        {
            var sub = Sub(delivery.Kind);
            var state = sub.Consumers.Find(c => ReferenceEquals(c.Consumer, delivery.Consumer));
            if (state is not null)
            {
                state.Credit = 0;
            }

            var now = UtcNow;
            var message = delivery.Message;
            if (delivery.Consumer.ReceiveAndDelete)
            {
                sub.All.Add(message.SequenceNumber, message);
                ReturnToAvailable(sub, message, now);
            }
            else if (sub.Locked.Remove(delivery.Outgoing.LockToken))
            {
                message.ClearLock();
                message.DeliveryCount--;
                ReturnToAvailable(sub, message, now);
            }

            retries = DispatchLocked(now);
        }

        Deliver(retries);
    }

    private void OnTimer()
    {
        List<Delivery> deliveries;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            var now = UtcNow;
            while (_deadlines.TryPeek(out var deadline, out var dueAt) && dueAt <= now)
            {
                _deadlines.Dequeue();
                Fire(deadline, now);
            }

            ForgetExpiredDuplicates(now);
            _timerDueAt = DateTime.MaxValue;
            ArmTimerLocked(now);
            deliveries = DispatchLocked(now);
        }

        Deliver(deliveries);
    }

    private void Fire(Deadline deadline, DateTime now)
    {
        var sub = Sub(deadline.SubQueue);
        switch (deadline.Kind)
        {
            case DeadlineKind.LockExpiry:
                if (sub.Locked.TryGetValue(deadline.LockToken, out var locked) && locked.LockedUntilUtc <= now)
                {
                    ExpireLock(sub, locked, now);
                }

                break;
            case DeadlineKind.Activation:
                if (sub.All.TryGetValue(deadline.SequenceNumber, out var scheduled) && scheduled.State == StoredMessageState.Scheduled)
                {
                    Activate(scheduled, now);
                }

                break;
            case DeadlineKind.Expiry:
                if (sub.All.TryGetValue(deadline.SequenceNumber, out var expiring)
                    && expiring.State == StoredMessageState.Available
                    && expiring.ExpiresAtUtc <= now)
                {
                    sub.All.Remove(deadline.SequenceNumber);
                    sub.Available.Remove(deadline.SequenceNumber);
                    BrokerLog.MessageExpired(_logger, Name, deadline.SequenceNumber);
                }

                break;
        }
    }

    private void AddDeadline(Deadline deadline, DateTime dueAt)
    {
        _deadlines.Enqueue(deadline, dueAt);
        if (dueAt < _timerDueAt)
        {
            ArmTimerLocked(UtcNow);
        }
    }

    private void ArmTimerLocked(DateTime now)
    {
        if (_disposed || !_deadlines.TryPeek(out _, out var next) || next >= _timerDueAt)
        {
            return;
        }

        _timerDueAt = next;
        var delay = next - now;
        _timer.Change(delay < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Entries are queued in expiry order because the window is fixed per queue.</summary>
    private void ForgetExpiredDuplicates(DateTime now)
    {
        while (_duplicateExpiry.TryPeek(out var entry) && entry.ForgetAt <= now)
        {
            _duplicateExpiry.Dequeue();
            if (_duplicateHistory.TryGetValue(entry.MessageId, out var sequenceNumber) && sequenceNumber == entry.SequenceNumber)
            {
                _duplicateHistory.Remove(entry.MessageId);
            }
        }
    }

    private SubQueue Sub(SubQueueKind kind) => kind == SubQueueKind.Active ? _active : _deadLetter;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private enum DeadlineKind
    {
        LockExpiry,
        Activation,
        Expiry,
    }

    private readonly record struct Deadline(DeadlineKind Kind, SubQueueKind SubQueue, long SequenceNumber, Guid LockToken);

    private sealed record Delivery(SubQueueKind Kind, IMessageConsumer Consumer, StoredMessage Message, OutgoingMessage Outgoing);

    private sealed class ConsumerCredit(IMessageConsumer consumer)
    {
        public IMessageConsumer Consumer { get; } = consumer;

        public int Credit { get; set; }
    }

    private sealed class SubQueue(SubQueueKind kind)
    {
        public SubQueueKind Kind { get; } = kind;

        /// <summary>Every message of the sub-queue by sequence number, whatever its state.</summary>
        public SortedDictionary<long, StoredMessage> All { get; } = new();

        public SortedSet<long> Available { get; } = new();

        public Dictionary<Guid, StoredMessage> Locked { get; } = new();

        public List<ConsumerCredit> Consumers { get; } = new();

        public int NextConsumer { get; set; }
    }
}
