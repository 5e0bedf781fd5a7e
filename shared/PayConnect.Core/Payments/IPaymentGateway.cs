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

    /// <summary>
    /// The approved charge made earlier under <paramref name="idempotencyKey"/>, or null when there is none. Gateways
    /// forget idempotency keys after a while (Stripe: 24 h), so a run whose charge stayed unconfirmed that long asks
    /// this first instead of trusting the key to replay. Throws <see cref="GatewayUnavailableException"/> when it
    /// cannot tell.
    /// </summary>
    Task<ChargeApproved?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken);
}
