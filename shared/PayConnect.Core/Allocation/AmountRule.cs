using System.Diagnostics.CodeAnalysis;

namespace PayConnect.Allocation;

/// <summary>
/// How much a run pays: every available balance, or at most a cap. A closed type: the only cases are
/// <see cref="PayAllOutstanding"/> and <see cref="UpTo"/>, and an <see cref="UpTo"/> exists only with a valid cap.
/// </summary>
public abstract record AmountRule
{
    private AmountRule()
    {
    }

    /// <summary>The rule that pays every available balance.</summary>
    public static AmountRule PayAll => PayAllOutstanding.Instance;

    /// <summary>Validates a cap given in minor units: positive and in a supported currency.</summary>
    public static bool TryUpTo(Money cap, [NotNullWhen(true)] out UpTo? rule, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        if (!Currencies.IsSupported(cap.Currency))
        {
            error = $"Currency '{cap.Currency}' is not supported.";
            return false;
        }

        if (cap.Minor <= 0)
        {
            error = "The amount must be greater than zero.";
            return false;
        }

        rule = new UpTo(cap);
        error = null;
        return true;
    }

    /// <summary>
    /// Validates a cap given as a decimal in major units (API input): supported currency, no more decimals than
    /// the currency has (12.345 USD is rejected, never rounded), and positive.
    /// </summary>
    public static bool TryUpTo(decimal amount, string? currency, [NotNullWhen(true)] out UpTo? rule, [NotNullWhen(false)] out string? error)
    {
        rule = null;
        if (!Currencies.IsSupported(currency))
        {
            error = $"Currency '{currency}' is not supported.";
            return false;
        }

        long minor;
        try
        {
            if (!Currencies.TryToMinor(amount, currency!, out minor))
            {
                var exponent = Currencies.Exponent(currency!);
                error = decimal.Round(amount, exponent) != amount
                    ? $"The amount has more decimal places than {currency} allows ({exponent})."
                    : "The amount is too large.";
                return false;
            }
        }
        catch (OverflowException)
        {
            error = "The amount is too large.";
            return false;
        }

        return TryUpTo(new Money(minor, currency!), out rule, out error);
    }

    /// <summary>Creates an <see cref="UpTo"/> rule; throws <see cref="ArgumentException"/> on an invalid cap (for trusted data).</summary>
    public static UpTo CreateUpTo(Money cap) =>
        TryUpTo(cap, out var rule, out var error) ? rule : throw new ArgumentException(error, nameof(cap));

    /// <summary>Pay every available balance of the enrolled invoices.</summary>
    public sealed record PayAllOutstanding : AmountRule
    {
        internal static readonly PayAllOutstanding Instance = new();

        private PayAllOutstanding()
        {
        }

        public override string ToString() => "PayAllOutstanding";
    }

    /// <summary>Pay oldest first up to <see cref="Cap"/>; the invoice at the boundary is paid partially.</summary>
    public sealed record UpTo : AmountRule
    {
        internal UpTo(Money cap) => Cap = cap;

        /// <summary>The most one run may charge; positive, in a supported currency.</summary>
        public Money Cap { get; }

        public override string ToString() => $"UpTo({Cap})";
    }
}
