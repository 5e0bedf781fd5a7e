using Microsoft.Extensions.Logging;

namespace PayConnect.ServiceBusBroker;

/// <summary>Every log line the broker writes, as structured templates.</summary>
internal static partial class BrokerLog
{
    [LoggerMessage(1, LogLevel.Information, "Service Bus broker listening on port {Port} with queues {Queues}")]
    public static partial void Listening(ILogger logger, int port, string queues);

    [LoggerMessage(2, LogLevel.Information, "Service Bus broker stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId} opened from container {ContainerId}")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? containerId);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} closed")]
    public static partial void ConnectionClosed(ILogger logger, string connectionId);

    [LoggerMessage(5, LogLevel.Warning, "Connection failed to open")]
    public static partial void ConnectionOpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(6, LogLevel.Debug, "Link {LinkName} attached to {Address} as {Role}")]
    public static partial void LinkAttached(ILogger logger, string linkName, string address, string role);

    [LoggerMessage(7, LogLevel.Information, "Link {LinkName} refused for {Address}: {Reason}")]
    public static partial void LinkRefused(ILogger logger, string linkName, string address, string reason);

    [LoggerMessage(8, LogLevel.Debug, "Token accepted for audience {Audience}")]
    public static partial void TokenAccepted(ILogger logger, string? audience);

    [LoggerMessage(9, LogLevel.Debug, "Management operation {Operation} on {Queue} answered {StatusCode}")]
    public static partial void ManagementOperation(ILogger logger, string? operation, string queue, int statusCode);

    [LoggerMessage(10, LogLevel.Warning, "Management operation {Operation} on {Queue} failed")]
    public static partial void ManagementOperationFailed(ILogger logger, string? operation, string queue, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Message on {Queue} rejected")]
    public static partial void MessageRejected(ILogger logger, string queue, Exception exception);

    [LoggerMessage(12, LogLevel.Debug, "Duplicate message {MessageId} on {Queue} dropped (original sequence number {SequenceNumber})")]
    public static partial void DuplicateDropped(ILogger logger, string queue, string messageId, long sequenceNumber);

    [LoggerMessage(13, LogLevel.Debug, "Lock on message {SequenceNumber} in {Queue} expired after delivery {DeliveryCount}")]
    public static partial void LockExpired(ILogger logger, string queue, long sequenceNumber, int deliveryCount);

    [LoggerMessage(14, LogLevel.Information, "Message {SequenceNumber} in {Queue} dead-lettered: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string queue, long sequenceNumber, string? reason);

    [LoggerMessage(15, LogLevel.Debug, "Message {SequenceNumber} in {Queue} expired")]
    public static partial void MessageExpired(ILogger logger, string queue, long sequenceNumber);

    [LoggerMessage(16, LogLevel.Debug, "Scheduled message {SequenceNumber} in {Queue} cancelled")]
    public static partial void ScheduledMessageCancelled(ILogger logger, string queue, long sequenceNumber);

    [LoggerMessage(17, LogLevel.Warning, "Disposition on {Queue} failed")]
    public static partial void DispositionFailed(ILogger logger, string queue, Exception exception);
}
