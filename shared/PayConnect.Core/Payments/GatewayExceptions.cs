namespace PayConnect.Payments;

/// <summary>
/// The gateway could not confirm the outcome (timeout, 5xx, network, concurrent request with the same key):
/// the charge may or may not have been made. Never retry with a NEW key. When <see cref="LookUpBeforeRetry"/> is
/// false, retry later with the same key; when it is true, the same key can only replay this failure, so ask
/// <see cref="IPaymentGateway.FindChargeAsync"/> (a consistent lookup) what happened instead.
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

    /// <summary>
    /// True when the gateway said a retry under the same idempotency key cannot help: Stripe answered a 5xx with
    /// <c>Stripe-Should-Retry: false</c> or replayed a saved 5xx (<c>Idempotent-Replayed: true</c>). Stripe saves the
    /// first result of a key, 500s included, and replays it for 24 hours; the caller must look the charge up with
    /// <see cref="IPaymentGateway.FindChargeAsync"/> before deciding anything else.
    /// </summary>
    public bool LookUpBeforeRetry { get; init; }
}

/// <summary>
/// The gateway refused our credentials or configuration (Stripe 401/403, a deposit account with no connected
/// account): nothing was charged and no retry can change that until an operator fixes the setting. The engine must
/// not charge, must not park the run silently as if the gateway were down, and must alert the on-call engineers
/// (log at error and notify) so the configuration gets fixed; the run can be resumed afterwards with the same key.
/// </summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException()
    {
    }

    public GatewayConfigurationException(string message)
        : base(message)
    {
    }

    public GatewayConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A lookup found more than one approved charge carrying one run attempt's idempotency key: the payer was charged
/// twice. The engine records <see cref="Kept"/> as the run's charge (so postings and holds follow the money) and must
/// alert staff to refund <see cref="Duplicates"/>; the gateway has already logged it at error.
/// </summary>
public sealed class DuplicateChargeException : Exception
{
    public DuplicateChargeException()
    {
    }

    public DuplicateChargeException(string message)
        : base(message)
    {
    }

    public DuplicateChargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public DuplicateChargeException(string message, ChargeApproved kept, IReadOnlyList<string> duplicates)
        : base(message)
    {
        Kept = kept;
        Duplicates = duplicates;
    }

    /// <summary>The earliest matching charge: the one the run keeps.</summary>
    public ChargeApproved? Kept { get; }

    /// <summary>The other matching charges' ids, to be refunded.</summary>
    public IReadOnlyList<string> Duplicates { get; } = [];
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

/// <summary>
/// The gateway refused a refund for good (already refunded, disputed, too old, more than is left): nothing went back.
/// The message says why, for staff.
/// </summary>
public sealed class RefundRefusedException : Exception
{
    public RefundRefusedException()
    {
    }

    public RefundRefusedException(string message)
        : base(message)
    {
    }

    public RefundRefusedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
