using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>Error conditions the Service Bus client maps to its exception types (AmqpExceptionHelper).</summary>
internal static class AmqpErrors
{
    /// <summary>ServiceBusFailureReason.MessageLockLost.</summary>
    public static readonly AmqpSymbol MessageLockLost = "com.microsoft:message-lock-lost";

    /// <summary>ArgumentException.</summary>
    public static readonly AmqpSymbol ArgumentError = "com.microsoft:argument-error";

    /// <summary>NotSupportedException.</summary>
    public static readonly AmqpSymbol NotImplemented = AmqpErrorCode.NotImplemented;

    /// <summary>ServiceBusFailureReason.ServiceBusy.</summary>
    public static readonly AmqpSymbol ServerBusy = "com.microsoft:server-busy";

    /// <summary>ServiceBusFailureReason.MessagingEntityNotFound.</summary>
    public static readonly AmqpSymbol NotFound = AmqpErrorCode.NotFound;

    /// <summary>InvalidOperationException.</summary>
    public static readonly AmqpSymbol NotAllowed = AmqpErrorCode.NotAllowed;
}
