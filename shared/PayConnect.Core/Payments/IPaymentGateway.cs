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

    /// <summary>
    /// The run key PayConnect gave a charge when it made it (Stripe: the PaymentIntent's <c>run_key</c> metadata), or
    /// null when the gateway has no such charge or it carries none. Gateway events name the charge only; this is how
    /// they find their run without an index written on every charge (docs/decisions/0043).
    /// </summary>
    /// <exception cref="GatewayUnavailableException">The gateway cannot tell now; ask again later.</exception>
    /// <exception cref="GatewayConfigurationException">Credentials are misconfigured.</exception>
    Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken);

    /// <summary>
    /// Returns all or part of a charge to the payer, at most once per <see cref="RefundRequest.IdempotencyKey"/>. With
    /// destination charges the refunded amount is taken back from the deposit account it was paid into (a transfer
    /// reversal of exactly that amount: a trust account only gives back the client's own money, never a fee); the
    /// platform keeps its application fee, as the processor keeps its own.
    /// </summary>
    /// <exception cref="GatewayUnavailableException">The outcome is unknown; ask again with the same key.</exception>
    /// <exception cref="GatewayConfigurationException">Credentials are misconfigured.</exception>
    Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Recovers a lost dispute (the disputed amount and the dispute fee, which the processor debited from the platform)
    /// from the firm's operating account, at most once per <see cref="ChargebackRecovery.IdempotencyKey"/>. A charge paid
    /// into operating gives back the disputed amount by a reversal of its transfer; a charge paid into trust is never
    /// touched: the whole chargeback is debited from the operating account. The fee always comes from operating.
    /// </summary>
    /// <exception cref="GatewayUnavailableException">The outcome is unknown; ask again with the same key.</exception>
    /// <exception cref="GatewayConfigurationException">Credentials or the operating account are misconfigured.</exception>
    Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken);
}

/// <summary>Where a refund stands at the gateway.</summary>
public enum GatewayRefundStatus
{
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>A refund of all or part of one charge.</summary>
/// <param name="IdempotencyKey">Ours, stable across retries of one staff request (≤ 255 characters).</param>
/// <param name="ChargeId">The charge (Stripe: the PaymentIntent id).</param>
/// <param name="Amount">What goes back to the payer.</param>
/// <param name="DepositAccount">Where the charge was paid into: the refund is taken back from there.</param>
/// <param name="RunKey">The run, for the gateway's records.</param>
public sealed record RefundRequest(string IdempotencyKey, string ChargeId, Money Amount, DepositAccount DepositAccount, string RunKey)
{
    /// <summary>Our key again, in the refund's metadata: an event about the refund names it before we know the gateway's id.</summary>
    public const string MetadataKey = "payconnect_refund_key";
}

/// <summary>The gateway's answer to a refund.</summary>
public sealed record RefundResult(string RefundId, GatewayRefundStatus Status);

/// <summary>A lost dispute to recover from the firm's operating account.</summary>
/// <param name="IdempotencyKey">Ours, one per dispute.</param>
/// <param name="ChargeId">The disputed charge.</param>
/// <param name="DisputeId">The gateway's dispute id.</param>
/// <param name="Disputed">The disputed amount that went back to the payer.</param>
/// <param name="Fee">The dispute fee the gateway charged.</param>
/// <param name="ChargedInto">The deposit account the charge was paid into.</param>
/// <param name="Operating">The firm's operating account the chargeback is recovered from (never trust).</param>
public sealed record ChargebackRecovery(string IdempotencyKey, string ChargeId, string DisputeId, Money Disputed, Money Fee, DepositAccount ChargedInto, DepositAccount Operating);

/// <summary>What a chargeback recovery moved: back from the charge's own transfer, and debited from the operating account.</summary>
public sealed record ChargebackRecoveryResult(string RecoveryId, Money ReversedFromCharge, Money DebitedFromOperating);

/// <summary>What identifies an earlier charge attempt to <see cref="IPaymentGateway.FindChargeAsync"/>.</summary>
/// <param name="IdempotencyKey">The attempt's key (<see cref="ChargeIdempotencyKey.For(string, int)"/>).</param>
/// <param name="PaymentMethodToken">The token charged (Stripe: its customer scopes the listing).</param>
/// <param name="AllocatedAt">When the run was allocated, before any charge under the key could exist.</param>
public sealed record ChargeLookup(string IdempotencyKey, string PaymentMethodToken, Instant AllocatedAt)
{
    /// <summary>The token is a credential-like value: keep it out of logs.</summary>
    public override string ToString() => $"ChargeLookup {{ IdempotencyKey = {IdempotencyKey}, AllocatedAt = {AllocatedAt} }}";
}
