namespace PayConnect.Payments;

/// <summary>
/// One charge of a saved payment method into one firm deposit account. Built by the run handler; gateways send it
/// as is. Routing (which connected account receives the money, whether a platform fee may be taken) follows
/// <see cref="DepositAccount"/>: a trust charge never carries a fee (docs/decisions/0015-deposit-routing-destination-charges.md).
/// </summary>
public sealed class ChargeRequest
{
    /// <summary>Stripe's (and our sandbox's) limit on idempotency key length.</summary>
    public const int MaxIdempotencyKeyLength = 255;

    /// <summary>Creates a request; throws <see cref="ArgumentException"/> on data no caller should produce.</summary>
    /// <param name="idempotencyKey">From <see cref="ChargeIdempotencyKey.For(string, int)"/>: the same for every retry of one attempt.</param>
    /// <param name="runKey">The run key <c>firmId/scheduleId/yyyy-MM-dd</c>, sent to the gateway as metadata.</param>
    /// <param name="paymentMethodToken">The gateway token of the payer's saved method (never card data).</param>
    /// <param name="amount">The allocated total; positive, in a supported currency.</param>
    /// <param name="depositAccount">The firm bank account the money is for: its kind and its gateway (connected) account.</param>
    /// <param name="rail">Card or ACH: the payment method's kind (Stripe <c>payment_method_types</c>).</param>
    /// <param name="mandateId">ACH only: the mandate (<c>mandate_…</c>) the payer accepted when the bank account was saved;
    /// Stripe needs an active mandate for an off-session ACH debit.</param>
    /// <param name="description">The A/R message or a default description printed on the payment.</param>
    /// <param name="metadata">Extra key/value pairs for the gateway's records (firm, schedule, …); no secrets.</param>
    public ChargeRequest(
        string idempotencyKey,
        string runKey,
        string paymentMethodToken,
        Money amount,
        DepositAccount depositAccount,
        PaymentRail rail,
        string? mandateId = null,
        string? description = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idempotencyKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(runKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(paymentMethodToken);
        ArgumentNullException.ThrowIfNull(depositAccount);
        if (idempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            throw new ArgumentException($"An idempotency key has at most {MaxIdempotencyKeyLength} characters.", nameof(idempotencyKey));
        }

        if (!Currencies.IsSupported(amount.Currency))
        {
            throw new ArgumentException($"Currency '{amount.Currency}' is not supported.", nameof(amount));
        }

        if (amount.Minor <= 0)
        {
            throw new ArgumentException("A charge must be for more than zero.", nameof(amount));
        }

        if (!Enum.IsDefined(rail))
        {
            throw new ArgumentOutOfRangeException(nameof(rail), rail, "Unknown payment rail.");
        }

        if (mandateId is not null && (rail != PaymentRail.Ach || !GatewayIds.IsMandateId(mandateId)))
        {
            throw new ArgumentException("A mandate id (mandate_ followed by letters and digits) belongs to ACH charges only.", nameof(mandateId));
        }

        IdempotencyKey = idempotencyKey;
        RunKey = runKey;
        PaymentMethodToken = paymentMethodToken;
        Amount = amount;
        DepositAccount = depositAccount;
        Rail = rail;
        MandateId = mandateId;
        Description = description;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    public string IdempotencyKey { get; }

    public string RunKey { get; }

    public string PaymentMethodToken { get; }

    public Money Amount { get; }

    public DepositAccount DepositAccount { get; }

    /// <summary>The firm bank account id; the same as <c>DepositAccount.BankAccountId</c>.</summary>
    public string DestinationBankAccountId => DepositAccount.BankAccountId;

    public PaymentRail Rail { get; }

    public string? MandateId { get; }

    public string? Description { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The token is a credential-like value: keep it out of logs.</summary>
    public override string ToString() =>
        $"ChargeRequest {{ IdempotencyKey = {IdempotencyKey}, RunKey = {RunKey}, Amount = {Amount}, Rail = {Rail}, " +
        $"DestinationBankAccountId = {DestinationBankAccountId}, DepositKind = {DepositAccount.Kind} }}";
}

/// <summary>Derives gateway idempotency keys from run keys, in this one place.</summary>
public static class ChargeIdempotencyKey
{
    /// <summary>
    /// The key of charge attempt <paramref name="attempt"/> (1-based) of a run. Every retry of one attempt after
    /// an unconfirmed outcome (<see cref="GatewayUnavailableException"/>) must reuse it; only after a confirmed
    /// decline may a later day's retry move on to <c>attempt + 1</c> (a gateway replays a decline for a reused key).
    /// </summary>
    public static string For(string runKey, int attempt) => For(runKey, attempt, 0);

    /// <summary>
    /// The key of attempt <paramref name="attempt"/> after <paramref name="rekeyed"/> consistent lookups found that a
    /// replayed failure (a saved 5xx the gateway will keep answering for the old key) charged nothing.
    /// </summary>
    public static string For(string runKey, int attempt, int rekeyed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rekeyed);
        var key = $"autopay/{runKey}/attempt-{attempt}" + (rekeyed == 0 ? string.Empty : $"/rekey-{rekeyed}");
        return key.Length <= ChargeRequest.MaxIdempotencyKeyLength
            ? key
            : throw new ArgumentException("The run key is too long for an idempotency key.", nameof(runKey));
    }
}
