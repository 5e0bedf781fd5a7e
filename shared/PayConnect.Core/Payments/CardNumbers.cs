namespace PayConnect.Payments;

/// <summary>
/// Finds card numbers in text, so none reaches storage (PCI DSS: gateway tokens and display data only).
/// </summary>
/// <remarks>
/// A card number is 13 to 19 digits that pass the Luhn check. People write them grouped and separated by
/// anything: spaces, dashes, dots, slashes, commas, underscores. So digit groups separated only by characters
/// that are neither letters nor digits form one chain, and every run of consecutive groups in a chain holding
/// 13 to 19 digits in all is checked; a letter ends a chain (so <c>INV 1001 and 1002</c> is two chains). Any
/// Unicode decimal digit counts (full-width <c>４</c> too). A single unbroken group of more than 19 digits is
/// refused as well: a card number can hide inside it.
/// </remarks>
public static class CardNumbers
{
    public const int MinDigits = 13;
    public const int MaxDigits = 19;

    public static bool Contains(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var chain = new List<List<int>>();
        List<int>? group = null;
        foreach (var c in text)
        {
            if (char.IsDigit(c))
            {
                if (group is null)
                {
                    group = [];
                    chain.Add(group);
                }

                group.Add((int)char.GetNumericValue(c));
                continue;
            }

            group = null;
            if (char.IsLetter(c))
            {
                if (ChainHoldsCardNumber(chain))
                {
                    return true;
                }

                chain.Clear();
            }
        }

        return ChainHoldsCardNumber(chain);
    }

    /// <summary>The Luhn (mod 10) check over the digits, rightmost digit last.</summary>
    public static bool PassesLuhn(IReadOnlyList<int> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[digits.Count - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    private static bool ChainHoldsCardNumber(List<List<int>> chain)
    {
        for (var first = 0; first < chain.Count; first++)
        {
            if (chain[first].Count > MaxDigits)
            {
                return true;
            }

            var digits = new List<int>(MaxDigits);
            for (var last = first; last < chain.Count && digits.Count + chain[last].Count <= MaxDigits; last++)
            {
                digits.AddRange(chain[last]);
                if (digits.Count >= MinDigits && PassesLuhn(digits))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
