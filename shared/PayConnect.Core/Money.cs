namespace PayConnect;

/// <summary>An amount in integer minor units of an ISO 4217 currency (upper-case code).</summary>
public readonly record struct Money(long Minor, string Currency)
{
    public static Money operator +(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return new Money(checked(a.Minor + b.Minor), a.Currency);
    }

    public static Money operator -(Money a, Money b)
    {
        EnsureSameCurrency(a, b);
        return new Money(checked(a.Minor - b.Minor), a.Currency);
    }

    public override string ToString() => Currencies.Format(this);

    private static void EnsureSameCurrency(Money a, Money b)
    {
        if (!string.Equals(a.Currency, b.Currency, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}.");
        }
    }
}

/// <summary>ISO 4217 currencies PayConnect accepts, with their minor-unit exponents.</summary>
public static class Currencies
{
    private static readonly Dictionary<string, int> Exponents = new(StringComparer.Ordinal)
    {
        ["USD"] = 2, ["CAD"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["AUD"] = 2, ["NZD"] = 2,
        ["CHF"] = 2, ["MXN"] = 2, ["JPY"] = 0, ["KRW"] = 0, ["BHD"] = 3, ["KWD"] = 3,
    };

    public static bool IsSupported(string? code) => code is not null && Exponents.ContainsKey(code);

    /// <summary>The supported ISO 4217 codes, in code order.</summary>
    public static IReadOnlyList<string> Supported { get; } = Exponents.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>Number of decimal places of the currency's minor unit (2 for USD, 0 for JPY).</summary>
    public static int Exponent(string code) =>
        Exponents.TryGetValue(code, out var e) ? e : throw new ArgumentException($"Unsupported currency '{code}'.", nameof(code));

    /// <summary>Converts a decimal major-unit amount to minor units; false when it has more decimals than the currency allows.</summary>
    public static bool TryToMinor(decimal major, string code, out long minor)
    {
        minor = 0;
        var scaled = major * Pow10(Exponent(code));
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue)
        {
            return false;
        }

        minor = (long)scaled;
        return true;
    }

    public static decimal ToMajor(Money money) => money.Minor / (decimal)Pow10(Exponent(money.Currency));

    public static string Format(Money money) =>
        IsSupported(money.Currency)
            ? ToMajor(money).ToString("F" + Exponent(money.Currency), System.Globalization.CultureInfo.InvariantCulture) + " " + money.Currency
            : money.Minor + " (minor) " + money.Currency;

    private static long Pow10(int e)
    {
        long r = 1;
        for (var i = 0; i < e; i++)
        {
            r *= 10;
        }

        return r;
    }
}
