namespace PayConnect.ServiceBusBroker.Store;

/// <summary>What a receiver decided about a locked message.</summary>
internal abstract record Settlement
{
    private Settlement()
    {
    }

    public sealed record Complete : Settlement;

    /// <summary>Back to the queue; counts as a failed delivery.</summary>
    public sealed record Abandon(IReadOnlyDictionary<string, object?>? PropertiesToModify) : Settlement;

    public sealed record DeadLetter(string? Reason, string? Description, IReadOnlyDictionary<string, object?>? PropertiesToModify) : Settlement;

    /// <summary>The client never handed the message to the application (no receive was waiting): not a failed delivery.</summary>
    public sealed record Release : Settlement;
}

internal enum SettleResult
{
    Settled,
    LockLost,
    NotAllowed,
}

/// <summary>A receiving link as the queue sees it.</summary>
internal interface IMessageConsumer
{
    bool ReceiveAndDelete { get; }

    /// <summary>Sends the message on the link; false when the link can no longer deliver.</summary>
    bool TryDeliver(OutgoingMessage message);
}
