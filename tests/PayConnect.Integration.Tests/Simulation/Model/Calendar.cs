namespace PayConnect.Integration.Tests.Simulation.Model;

/// <summary>The frequencies of SPEC §1, as the reference model reads them (its own type; nothing of the product's).</summary>
public enum CadenceKind
{
    Once,
    Weekly,
    EveryNWeeks,
    TwiceMonthly,
    Monthly,
    Quarterly,
    SemiAnnually,
    Annually,
}

/// <summary>
/// How often a schedule runs. Occurrences are firm-local calendar dates from the first run date (SPEC §2.1); month-type
/// cadences keep the first run date's day as their anchor and clamp it to the month's end, never drifting (SPEC §1);
/// twice-monthly runs on its two days of every month, clamped, on or after the first run date.
/// </summary>
public sealed record Cadence(CadenceKind Kind, int Weeks = 0, int Day1 = 0, int Day2 = 0)
{
    public static Cadence Once { get; } = new(CadenceKind.Once);

    public static Cadence Weekly { get; } = new(CadenceKind.Weekly);

    public static Cadence Monthly { get; } = new(CadenceKind.Monthly);

    public static Cadence Quarterly { get; } = new(CadenceKind.Quarterly);

    public static Cadence SemiAnnually { get; } = new(CadenceKind.SemiAnnually);

    public static Cadence Annually { get; } = new(CadenceKind.Annually);

    public static Cadence EveryNWeeks(int weeks) => new(CadenceKind.EveryNWeeks, Weeks: weeks);

    public static Cadence TwiceMonthly(int day1, int day2) => new(CadenceKind.TwiceMonthly, Day1: day1, Day2: day2);

    /// <summary>The API's frequency object.</summary>
    public object ToApi() => Kind switch
    {
        CadenceKind.EveryNWeeks => new { kind = "EveryNWeeks", n = Weeks },
        CadenceKind.TwiceMonthly => new { kind = "TwiceMonthly", day1 = Day1, day2 = Day2 },
        _ => (object)new { kind = Kind.ToString() },
    };

    /// <summary>Every occurrence from <paramref name="first"/>, oldest first (endless except for Once).</summary>
    public IEnumerable<DateOnly> Occurrences(DateOnly first)
    {
        switch (Kind)
        {
            case CadenceKind.Once:
                yield return first;
                yield break;
            case CadenceKind.Weekly or CadenceKind.EveryNWeeks:
                // Callers stop at a date long before the calendar ends.
                var days = 7 * (Kind == CadenceKind.Weekly ? 1 : Weeks);
                for (var date = first; ; date = date.AddDays(days))
                {
                    yield return date;
                }

            case CadenceKind.TwiceMonthly:
                for (var month = 0; ; month++)
                {
                    var (year, m) = ModelCalendar.MonthAfter(first.Year, first.Month, month);
                    var a = ModelCalendar.Clamped(year, m, Day1);
                    var b = ModelCalendar.Clamped(year, m, Day2);
                    if (a >= first)
                    {
                        yield return a;
                    }

                    if (b != a && b >= first)
                    {
                        yield return b;
                    }
                }

            default:
                var step = Kind switch { CadenceKind.Monthly => 1, CadenceKind.Quarterly => 3, CadenceKind.SemiAnnually => 6, _ => 12 };
                for (var k = 0; ; k++)
                {
                    var (year, m) = ModelCalendar.MonthAfter(first.Year, first.Month, k * step);
                    yield return ModelCalendar.Clamped(year, m, first.Day);
                }
        }
    }

    public override string ToString() => Kind switch
    {
        CadenceKind.EveryNWeeks => $"EveryNWeeks({Weeks})",
        CadenceKind.TwiceMonthly => $"TwiceMonthly({Day1},{Day2})",
        _ => Kind.ToString(),
    };
}

/// <summary>The model's own date arithmetic: month-end clamping, the one-year lifetime, firm-local today.</summary>
public static class ModelCalendar
{
    public static DateOnly Clamped(int year, int month, int day) => new(year, month, Math.Min(day, DaysIn(year, month)));

    public static (int Year, int Month) MonthAfter(int year, int month, int months)
    {
        var index = (year * 12) + (month - 1) + months;
        return (index / 12, (index % 12) + 1);
    }

    /// <summary>SPEC §1: occurrences d with d &lt; first + 1 year run. Feb 29 + 1 year is Feb 28.</summary>
    public static DateOnly OneYearAfter(DateOnly first) => Clamped(first.Year + 1, first.Month, first.Day);

    /// <summary>The firm-local date at an instant (the model's own zone lookup: .NET's, not the product's NodaTime).</summary>
    public static DateOnly TodayIn(TimeZoneInfo zone, DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);

    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static int DaysIn(int year, int month) => month switch
    {
        2 => IsLeap(year) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    private static bool IsLeap(int year) => (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}
