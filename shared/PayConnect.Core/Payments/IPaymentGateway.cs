using NodaTime;

namespace PayConnect.Payments;

/// <summary>Charges a payer's saved payment method (SPEC §2.4). Implementations: sandbox, Stripe.</summary>
public interface IPaymentGateway
{
    /// <summary>
    /// Makes one charge, at most once per <see cref="ChargeRequest.IdempotencyKey"/>: a repeated call with the same
    /// key returns the first call's result without charging again.
    /// </summary>
    /// <returns>
    /// <see cref="ChargeApproved"/> (with <see cref="ChargeApproved.SettlementPending"/> for an ACH debit still
    /// processing) or <see cref="ChargeDeclined"/>, both confirmed by the gateway.
    /// </returns>
    /// <exception cref="GatewayUnavailableException">The outcome is unknown; see its <c>LookUpBeforeRetry</c>.</exception>
    /// <exception cref="GatewayConfigurationException">Credentials or routing are misconfigured; nothing was charged.</exception>
    /// <exception cref="IdempotencyKeyReusedException">The key was used before with different parameters.</exception>
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// The approved charge made earlier under <see cref="ChargeLookup.IdempotencyKey"/>, or null when there is none.
    /// Consistent (read-after-write): Stripe lists the customer's PaymentIntents created since the run's allocation and
    /// matches the key every charge carries in its metadata. Ask it when a charge stayed unconfirmed (a replayed 5xx,
    /// or longer than the gateway keeps idempotency keys: Stripe 24 h).
    /// </summary>
    /// <exception cref="GatewayUnavailableException">The gateway cannot tell now; ask again later.</exception>
    /// <exception cref="GatewayConfigurationException">Credentials are misconfigured.</exception>
    /// <exception cref="DuplicateChargeException">More than one approved charge carries the key.</exception>
    Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken);
}

/// <summary>What identifies an earlier charge attempt to <see cref="IPaymentGateway.FindChargeAsync"/>.</summary>
/// <param name="IdempotencyKey">The attempt's key (<see cref="ChargeIdempotencyKey.For(string, int)"/>).</param>
/// <param name="PaymentMethodToken">The token charged (Stripe: its customer scopes the listing).</param>
/// <param name="AllocatedAt">When the run was allocated, before any charge under the key could exist.</param>
public sealed record ChargeLookup(string IdempotencyKey, string PaymentMethodToken, Instant AllocatedAt)
{
    /// <summary>The token is a credential-like value: keep it out of logs.</summary>
    public override string ToString() => $"ChargeLookup {{ IdempotencyKey = {IdempotencyKey}, AllocatedAt = {AllocatedAt} }}";
}
