namespace PayConnect.Payments;

/// <summary>Charges a payer's saved payment method (SPEC §2.4). Implementations: sandbox, Stripe.</summary>
public interface IPaymentGateway
{
    /// <summary>
    /// Makes one charge, at most once per <see cref="ChargeRequest.IdempotencyKey"/>: a repeated call with the same
    /// key returns the first call's result without charging again.
    /// </summary>
    /// <returns><see cref="ChargeApproved"/> or <see cref="ChargeDeclined"/>, both confirmed by the gateway.</returns>
    /// <exception cref="GatewayUnavailableException">The outcome is unknown; retry with the same key.</exception>
    /// <exception cref="IdempotencyKeyReusedException">The key was used before with different parameters.</exception>
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken);
}
