namespace PayConnect.Payments;

/// <summary>
/// The gateway could not confirm the outcome (timeout, 5xx, network, concurrent request with the same key):
/// the charge may or may not have been made. Retry later with the SAME idempotency key; never with a new one.
/// </summary>
public sealed class GatewayUnavailableException : Exception
{
    public GatewayUnavailableException()
    {
    }

    public GatewayUnavailableException(string message)
        : base(message)
    {
    }

    public GatewayUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The idempotency key was already used for a different request (other amount, token, currency…). A bug in the
/// caller, not a payment outcome: do not retry, investigate.
/// </summary>
public sealed class IdempotencyKeyReusedException : Exception
{
    public IdempotencyKeyReusedException()
    {
    }

    public IdempotencyKeyReusedException(string message)
        : base(message)
    {
    }

    public IdempotencyKeyReusedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
