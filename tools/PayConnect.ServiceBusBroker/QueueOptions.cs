namespace PayConnect.ServiceBusBroker;

/// <summary>
/// A queue the local broker serves, with the Service Bus properties it honours.
/// Defaults follow Azure Service Bus, except duplicate detection, which is off unless asked for.
/// </summary>
public sealed class QueueOptions
{
    /// <summary>Queue name; matched case-insensitively, like Service Bus entity names.</summary>
    public string Name { get; set; } = "";

    /// <summary>How long a peek-lock receive holds a message before it becomes available again.</summary>
    public TimeSpan LockDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Deliveries after which an abandoned or expired message is dead-lettered.</summary>
    public int MaxDeliveryCount { get; set; } = 10;

    /// <summary>When true, a message whose MessageId was seen within the window is accepted and dropped.</summary>
    public bool RequiresDuplicateDetection { get; set; }

    /// <summary>How long a MessageId is remembered for duplicate detection.</summary>
    public TimeSpan DuplicateDetectionHistoryTimeWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time to live applied when a message has none or a longer one; null means messages never expire.</summary>
    public TimeSpan? DefaultMessageTimeToLive { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('$', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Queue name '{Name}' is empty or contains '$'.");
        }

        if (LockDuration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Queue '{Name}': LockDuration must be positive.");
        }

        if (MaxDeliveryCount < 1)
        {
            throw new ArgumentException($"Queue '{Name}': MaxDeliveryCount must be at least 1.");
        }

        if (RequiresDuplicateDetection && DuplicateDetectionHistoryTimeWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Queue '{Name}': DuplicateDetectionHistoryTimeWindow must be positive.");
        }

        if (DefaultMessageTimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Queue '{Name}': DefaultMessageTimeToLive must be positive when set.");
        }
    }

    internal QueueOptions Clone() => (QueueOptions)MemberwiseClone();
}
