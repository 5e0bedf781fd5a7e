namespace PayConnect.Runs;

/// <summary>A message taken from a queue, free of any messaging SDK type.</summary>
public sealed record QueuedMessage(string MessageId, ReadOnlyMemory<byte> Body, int DeliveryCount, DateTimeOffset EnqueuedAt);

/// <summary>What the drain does with a message once its handler has returned.</summary>
public abstract record MessageOutcome
{
    private MessageOutcome()
    {
    }

    /// <summary>The work is durably done: remove the message.</summary>
    public sealed record Complete : MessageOutcome;

    /// <summary>A transient problem: release the message so it is delivered again.</summary>
    public sealed record Retry(string Reason) : MessageOutcome;

    /// <summary>
    /// Not now: complete this message and send <paramref name="Body"/> as a new message with <paramref name="MessageId"/>,
    /// delivered after <paramref name="Delay"/> (a scheduled message). Used for waits longer than a lock should be held
    /// (an unreachable MMS, an earlier run still charging), so that retries are spread out instead of burning deliveries.
    /// </summary>
    public sealed record Reschedule(TimeSpan Delay, string MessageId, ReadOnlyMemory<byte> Body, string Reason) : MessageOutcome;

    /// <summary>The message can never succeed (malformed, unknown): park it in the dead-letter queue.</summary>
    public sealed record DeadLetter(string Reason, string Description) : MessageOutcome;

    public static readonly MessageOutcome Completed = new Complete();
}

/// <summary>Handles one queued message; independent of how the drain is triggered.</summary>
public interface IMessageHandler
{
    Task<MessageOutcome> HandleAsync(QueuedMessage message, CancellationToken cancellationToken);
}
