using CsCheck;
using NodaTime;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Scheduling;

/// <summary>CsCheck generators shared by the scheduling property tests.</summary>
internal static class SchedulingGen
{
    private static readonly LocalDate Earliest = new(1990, 1, 1);
    private static readonly LocalDate Latest = new(2100, 12, 31);

    /// <summary>Any date from 1990-01-01 to 2100-12-31.</summary>
    public static readonly Gen<LocalDate> Date =
        Gen.Int[0, Period.Between(Earliest, Latest, PeriodUnits.Days).Days].Select(d => Earliest.PlusDays(d));

    /// <summary>Dates that start on the 28th–31st or late February, where month-end clamping matters most.</summary>
    public static readonly Gen<LocalDate> MonthEndDate =
        Gen.Select(Gen.Int[1990, 2100], Gen.Int[1, 12], Gen.Int[28, 31], (y, m, d) =>
            new LocalDate(y, m, Math.Min(d, CalendarSystem.Iso.GetDaysInMonth(y, m))));

    /// <summary>Mostly any date, often a month-end one.</summary>
    public static readonly Gen<LocalDate> FirstRunDate = Gen.Frequency((3, Date), (1, MonthEndDate));

    public static readonly Gen<Frequency> EveryNWeeks = Gen.Int[1, Frequency.MaxWeeksBetweenRuns].Select(n => (Frequency)new Frequency.EveryNWeeks(n));

    public static readonly Gen<Frequency> TwiceMonthly =
        Gen.Int[1, 30].SelectMany(d1 => Gen.Int[d1 + 1, 31].Select(d2 => (Frequency)new Frequency.TwiceMonthly(d1, d2)));

    /// <summary>Every valid frequency, parameters included.</summary>
    public static readonly Gen<Frequency> AnyFrequency = Gen.OneOf<Frequency>(
        Gen.Const<Frequency>(new Frequency.Once()),
        Gen.Const<Frequency>(new Frequency.Weekly()),
        EveryNWeeks,
        TwiceMonthly,
        Gen.Const<Frequency>(new Frequency.Monthly()),
        Gen.Const<Frequency>(new Frequency.Quarterly()),
        Gen.Const<Frequency>(new Frequency.SemiAnnually()),
        Gen.Const<Frequency>(new Frequency.Annually()));

    public static int DaysInMonth(LocalDate date) => CalendarSystem.Iso.GetDaysInMonth(date.Year, date.Month);

    public static int DaysBetween(LocalDate start, LocalDate end) => Period.Between(start, end, PeriodUnits.Days).Days;
}
