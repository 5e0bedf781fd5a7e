namespace PayConnect.Payments;

/// <summary>Whether a declined charge may be tried again on a later day.</summary>
public enum DeclineKind
{
    /// <summary>Temporary (insufficient funds, processing error, try again later): retry by policy.</summary>
    Soft,

    /// <summary>Final (stolen/lost card, closed or invalid account, expired card, do-not-try-again advice): never retried.</summary>
    Hard,
}

/// <summary>
/// What the gateway confirmed about a charge: a closed type, <see cref="ChargeApproved"/> or
/// <see cref="ChargeDeclined"/>. An outcome the gateway could not confirm is not a result but a
/// <see cref="GatewayUnavailableException"/>.
/// </summary>
public abstract record ChargeResult
{
    private protected ChargeResult()
    {
    }
}

/// <summary>The gateway accepted the charge.</summary>
/// <param name="ChargeId">The gateway's id of the charge (Stripe: the PaymentIntent id).</param>
/// <param name="Amount">The amount charged.</param>
public sealed record ChargeApproved(string ChargeId, Money Amount) : ChargeResult
{
    /// <summary>
    /// True when the gateway accepted the charge but the money settles later (ACH debits: Stripe status
    /// <c>processing</c>). A bank return can still arrive days later; see <see cref="AchReturnCodes"/>.
    /// </summary>
    public bool SettlementPending { get; init; }
}

/// <summary>The gateway refused the charge; nothing was charged.</summary>
/// <param name="Code">The gateway's decline code (Stripe decline_code or error code; NACHA R-code for ACH returns).</param>
/// <param name="Message">A message for staff; may be shown in the failure email.</param>
/// <param name="Kind">Soft: may be retried on a later day by <see cref="DeclinePolicy"/>; Hard: never.</param>
public sealed record ChargeDeclined(string Code, string Message, DeclineKind Kind) : ChargeResult;
