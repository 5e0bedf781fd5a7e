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

/// <summary>Decline codes PayConnect itself gives (the gateway's own codes pass through unchanged).</summary>
public static class DeclineCodes
{
    /// <summary>
    /// The payer's bank account still awaits micro-deposit verification (Stripe: <c>requires_action</c> with next action
    /// <c>verify_with_microdeposits</c>). Hard: a retry cannot verify it; the payer must confirm the deposits first.
    /// </summary>
    public const string AchVerificationPending = "ach_verification_pending";

    /// <summary>An ACH payment method was saved without the mandate an off-session debit needs. Hard.</summary>
    public const string AchMandateMissing = "ach_mandate_missing";

    /// <summary>The card needs the payer present (3-D Secure or another action). Hard for an off-session charge.</summary>
    public const string AuthenticationRequired = "authentication_required";

    /// <summary>
    /// Stripe declined the card too many times in 24 hours and refuses further attempts until 24 hours have passed.
    /// Soft, but the next attempt must wait longer than a day (see <see cref="DeclinePolicy"/>).
    /// </summary>
    public const string CardDeclineRateLimitExceeded = "card_decline_rate_limit_exceeded";

    /// <summary>The staff message for <see cref="AchVerificationPending"/>.</summary>
    public const string AchVerificationPendingMessage =
        "The payer's bank account is not verified yet: Stripe sent two micro-deposits that the payer must confirm. " +
        "Ask the payer to complete the verification (the link is in Stripe's email to them), then run the Auto-Pay again; " +
        "it will not be retried automatically.";

    /// <summary>The staff message for <see cref="AchMandateMissing"/>.</summary>
    public const string AchMandateMissingMessage =
        "The payer's bank account was saved without an ACH debit authorization (mandate). Ask the payer to authorize " +
        "the bank account again so the payment method carries its mandate; it will not be retried automatically.";
}
