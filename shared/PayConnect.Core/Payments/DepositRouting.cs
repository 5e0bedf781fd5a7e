using PayConnect.Connect;

namespace PayConnect.Payments;

/// <summary>
/// The firm bank account a charge pays into, as the gateway needs it: its kind and the gateway account that
/// settles into it (a Stripe connected account). See docs/decisions/0015-deposit-routing-destination-charges.md.
/// </summary>
public sealed record DepositAccount
{
    /// <param name="bankAccountId">The firm bank account id (our record).</param>
    /// <param name="kind">Operating or Trust: trust money never carries a fee.</param>
    /// <param name="connectedAccountId">The Stripe connected account (<c>acct_…</c>) that settles into this bank account; null
    /// when none is configured (the Stripe gateway then refuses to charge; the sandbox uses a stand-in).</param>
    public DepositAccount(string bankAccountId, BankAccountKind kind, string? connectedAccountId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bankAccountId);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown bank account kind.");
        }

        if (connectedAccountId is not null && !GatewayIds.IsConnectedAccountId(connectedAccountId))
        {
            throw new ArgumentException("A connected account id is acct_ followed by letters and digits.", nameof(connectedAccountId));
        }

        BankAccountId = bankAccountId;
        Kind = kind;
        ConnectedAccountId = connectedAccountId;
    }

    public string BankAccountId { get; }

    public BankAccountKind Kind { get; }

    public string? ConnectedAccountId { get; }

    public bool IsTrust => Kind == BankAccountKind.Trust;
}

/// <summary>
/// The platform's fee on a charge (a Stripe <c>application_fee_amount</c>): a rate in basis points on operating
/// charges, and always zero on trust charges (ABA Model Rule 1.15: no fee ever comes out of client trust money).
/// Stripe's own processing fee is not deducted from either account: with destination charges it is debited from
/// the platform's balance, and this fee is how the platform recovers it from the firm's operating account.
/// </summary>
public sealed record PlatformFeeSchedule
{
    /// <summary>10 %: a fee above this is a configuration mistake, not a price.</summary>
    public const int MaxBasisPoints = 1_000;

    public PlatformFeeSchedule(int operatingBasisPoints)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(operatingBasisPoints);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(operatingBasisPoints, MaxBasisPoints);
        OperatingBasisPoints = operatingBasisPoints;
    }

    /// <summary>No platform fee on any charge.</summary>
    public static PlatformFeeSchedule None { get; } = new(0);

    public int OperatingBasisPoints { get; }

    /// <summary>
    /// The application fee of a charge in the charge's minor units: zero for trust; for operating the rate applied
    /// to the amount, rounded up (checked arithmetic, never more than the amount).
    /// </summary>
    public Money ApplicationFeeFor(DepositAccount account, Money amount)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (account.IsTrust || OperatingBasisPoints == 0 || amount.Minor <= 0)
        {
            return new Money(0, amount.Currency);
        }

        var scaled = checked(amount.Minor * OperatingBasisPoints);
        var fee = (scaled / 10_000) + (scaled % 10_000 == 0 ? 0 : 1);
        return new Money(Math.Min(fee, amount.Minor), amount.Currency);
    }
}
