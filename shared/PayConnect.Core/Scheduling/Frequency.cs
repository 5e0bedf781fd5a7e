using System.Globalization;

namespace PayConnect.Scheduling;

/// <summary>
/// How often an Auto-Pay schedule runs. A closed hierarchy: the only cases are the nested sealed records.
/// Instances may hold out-of-range parameters (they come from user input); call <see cref="Validate"/> before
/// use.
/// </summary>
public abstract record Frequency
{
    /// <summary>Largest <see cref="EveryNWeeks.N"/> accepted (one run a year).</summary>
    public const int MaxWeeksBetweenRuns = 52;

    // Private constructor: nobody outside this type can add a case.
    private Frequency()
    {
    }

    /// <summary>A single run on the first run date.</summary>
    public sealed record Once : Frequency;

    /// <summary>Every 7 days from the first run date.</summary>
    public sealed record Weekly : Frequency;

    /// <summary>Every <paramref name="N"/>·7 days from the first run date (1 ≤ N ≤ 52).</summary>
    public sealed record EveryNWeeks(int N) : Frequency;

    /// <summary>
    /// On <paramref name="Day1"/> and <paramref name="Day2"/> of every month (1 ≤ Day1 &lt; Day2 ≤ 31), each clamped to
    /// the month's last day. In a month where both clamp to the same date (e.g. 30 and 31 in February) it runs once.
    /// </summary>
    public sealed record TwiceMonthly(int Day1, int Day2) : Frequency;

    /// <summary>Every month on the first run date's day, clamped to month end.</summary>
    public sealed record Monthly : Frequency;

    /// <summary>Every 3 months on the first run date's day, clamped to month end.</summary>
    public sealed record Quarterly : Frequency;

    /// <summary>Every 6 months on the first run date's day, clamped to month end.</summary>
    public sealed record SemiAnnually : Frequency;

    /// <summary>Every 12 months on the first run date's day (Feb 29 runs on Feb 28 in common years).</summary>
    public sealed record Annually : Frequency;

    /// <summary>Field errors for out-of-range parameters; empty when the frequency is usable.</summary>
    /// <param name="field">Path of the frequency in the caller's input, used as the prefix of each error's field.</param>
    public IReadOnlyList<FieldError> Validate(string field = "frequency")
    {
        var errors = new List<FieldError>();
        switch (this)
        {
            case EveryNWeeks { N: < 1 or > MaxWeeksBetweenRuns }:
                errors.Add(new FieldError(field + ".n", $"Must be between 1 and {MaxWeeksBetweenRuns}."));
                break;
            case TwiceMonthly t:
                var day1Valid = t.Day1 is >= 1 and <= 31;
                var day2Valid = t.Day2 is >= 1 and <= 31;
                if (!day1Valid)
                {
                    errors.Add(new FieldError(field + ".day1", "Must be a day of the month between 1 and 31."));
                }

                if (!day2Valid)
                {
                    errors.Add(new FieldError(field + ".day2", "Must be a day of the month between 1 and 31."));
                }

                if (day1Valid && day2Valid && t.Day1 >= t.Day2)
                {
                    errors.Add(new FieldError(field + ".day2", "Must be later in the month than day1."));
                }

                break;
        }

        return errors;
    }

    /// <summary>The <see cref="Format"/> text, so logs and test output show the storage form.</summary>
    public sealed override string ToString() => Format();

    /// <summary>True when <see cref="Validate"/> reports no errors.</summary>
    public bool IsValid => Validate().Count == 0;

    /// <summary>
    /// Compact, stable storage form: <c>Once</c>, <c>Weekly</c>, <c>EveryNWeeks:2</c>, <c>TwiceMonthly:1,15</c>,
    /// <c>Monthly</c>, <c>Quarterly</c>, <c>SemiAnnually</c>, <c>Annually</c>. Stored data depends on it: never change it.
    /// </summary>
    public string Format() => this switch
    {
        Once => "Once",
        Weekly => "Weekly",
        EveryNWeeks e => "EveryNWeeks:" + e.N.ToString(CultureInfo.InvariantCulture),
        TwiceMonthly t => "TwiceMonthly:" + t.Day1.ToString(CultureInfo.InvariantCulture) + "," + t.Day2.ToString(CultureInfo.InvariantCulture),
        Monthly => "Monthly",
        Quarterly => "Quarterly",
        SemiAnnually => "SemiAnnually",
        Annually => "Annually",
        _ => throw new InvalidOperationException("Unknown frequency case."),
    };

    /// <summary>
    /// Reads the <see cref="Format"/> form. Accepts only the exact canonical text (case-sensitive, no spaces, no
    /// leading zeros or signs) of a frequency that also passes <see cref="Validate"/>, so what parses formats back
    /// to the same string.
    /// </summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Frequency? frequency)
    {
        frequency = Parse(text);
        if (frequency is null || !frequency.IsValid)
        {
            frequency = null;
            return false;
        }

        return true;
    }

    private static Frequency? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var args = colon < 0 ? null : text[(colon + 1)..];
        return (name, args) switch
        {
            ("Once", null) => new Once(),
            ("Weekly", null) => new Weekly(),
            ("Monthly", null) => new Monthly(),
            ("Quarterly", null) => new Quarterly(),
            ("SemiAnnually", null) => new SemiAnnually(),
            ("Annually", null) => new Annually(),
            ("EveryNWeeks", not null) => TryCanonicalInt(args, out var n) ? new EveryNWeeks(n) : null,
            ("TwiceMonthly", not null) => ParseTwiceMonthly(args),
            _ => null,
        };
    }

    private static TwiceMonthly? ParseTwiceMonthly(string args)
    {
        var comma = args.IndexOf(',', StringComparison.Ordinal);
        return comma >= 0
            && TryCanonicalInt(args[..comma], out var day1)
            && TryCanonicalInt(args[(comma + 1)..], out var day2)
                ? new TwiceMonthly(day1, day2)
                : null;
    }

    private static bool TryCanonicalInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value)
        && string.Equals(value.ToString(CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
}
