namespace PayConnect.ServiceBusBroker;

/// <summary>Message counts of one queue at a moment, for tests and diagnostics.</summary>
/// <param name="ActiveMessageCount">Messages that can be or are being received (available plus locked), as Service Bus counts them.</param>
/// <param name="LockedMessageCount">Active messages currently held under a peek-lock.</param>
/// <param name="ScheduledMessageCount">Messages waiting for their scheduled enqueue time.</param>
/// <param name="DeadLetterMessageCount">Messages in the dead-letter sub-queue.</param>
public readonly record struct QueueMessageCounts(
    int ActiveMessageCount,
    int LockedMessageCount,
    int ScheduledMessageCount,
    int DeadLetterMessageCount);
