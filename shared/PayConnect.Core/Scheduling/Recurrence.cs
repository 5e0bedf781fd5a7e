using NodaTime;

namespace PayConnect.Scheduling;

/// <summary>
/// Occurrence dates of a <see cref="Frequency"/>: firm-local calendar dates, free of times and time zones.
/// </summary>
/// <remarks>
/// <para>Month-type frequencies (Monthly, Quarterly = 3 months, SemiAnnually = 6, Annually = 12) compute the k-th
/// occurrence from the original first run date (<c>firstRunDate.PlusMonths(k · step)</c>), never from the previous
/// occurrence, so the anchor day is kept and clamped to month end without drifting: anchored on the 31st they run
/// Jan 31, Feb 28 (29 in leap years), Mar 31, Apr 30, May 31; anchored on Feb 29, Annually runs on Feb 28 in common
/// years and Feb 29 in leap years.</para>
/// <para>Weekly and EveryNWeeks add 7·N days to the first run date.</para>
/// <para>TwiceMonthly is anchored on its two days, not on the first run date: it yields day1 and day2 of every month
/// (each clamped to month end, once if both clamp to the same date) that are on or after the first run date. So the
/// first run date is a "not before" date and is itself a run only when it falls on one of those days; the first month
/// therefore has 2, 1 or 0 runs.</para>
/// <para>Every other frequency starts exactly on the first run date. Sequences are lazy, strictly increasing and
/// end at the last ISO date NodaTime supports (9999-12-31); lifetime limits are applied by <see cref="ScheduleTimeline"/>.</para>
/// </remarks>
public static class Recurrence
{
    private const int LastMonthIndex = (9999 * 12) + 11;

    /// <summary>All occurrences of <paramref name="frequency"/> from <paramref name="firstRunDate"/>, oldest first.</summary>
    /// <exception cref="ArgumentException">The frequency fails <see cref="Frequency.Validate"/>, or the date is not an
    /// ISO date in years 1–9999.</exception>
    public static IEnumerable<LocalDate> Occurrences(Frequency frequency, LocalDate firstRunDate) =>
        OccurrencesFrom(frequency, firstRunDate, firstRunDate);

    /// <summary>
    /// The occurrences on or after <paramref name="from"/>: the same dates as
    /// <c>Occurrences(frequency, firstRunDate).Where(d =&gt; d &gt;= from)</c>, but computed near <paramref name="from"/>
    /// instead of walking from the anchor.
    /// </summary>
    public static IEnumerable<LocalDate> OccurrencesFrom(Frequency frequency, LocalDate firstRunDate, LocalDate from)
    {
        ArgumentNullException.ThrowIfNull(frequency);
        var errors = frequency.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Frequency {frequency} is invalid: {errors[0].Field}: {errors[0].Message}", nameof(frequency));
        }

        EnsureSupported(firstRunDate, nameof(firstRunDate));
        EnsureSupported(from, nameof(from));

        // Validation above runs eagerly; only the iteration is deferred.
        return frequency switch
        {
            Frequency.Once => firstRunDate >= from ? [firstRunDate] : [],
            Frequency.Weekly => EveryDays(firstRunDate, 7, from),
            Frequency.EveryNWeeks e => EveryDays(firstRunDate, 7 * e.N, from),
            Frequency.Monthly => EveryMonths(firstRunDate, 1, from),
            Frequency.Quarterly => EveryMonths(firstRunDate, 3, from),
            Frequency.SemiAnnually => EveryMonths(firstRunDate, 6, from),
            Frequency.Annually => EveryMonths(firstRunDate, 12, from),
            Frequency.TwiceMonthly t => TwiceMonthly(t.Day1, t.Day2, firstRunDate, from),
            _ => throw new ArgumentException($"Unknown frequency {frequency}.", nameof(frequency)),
        };
    }

    private static IEnumerable<LocalDate> EveryDays(LocalDate anchor, int step, LocalDate from)
    {
        var k = from <= anchor ? 0 : (DaysBetween(anchor, from) + step - 1) / step;
        var lastK = DaysBetween(anchor, LocalDate.MaxIsoValue) / step;
        for (; k <= lastK; k++)
        {
            yield return anchor.PlusDays(k * step);
        }
    }

    private static IEnumerable<LocalDate> EveryMonths(LocalDate anchor, int step, LocalDate from)
    {
        var anchorIndex = MonthIndex(anchor);

        // Occurrence k falls in month anchorIndex + k·step, so earlier k are in months before `from`.
        var k = Math.Max(0, (MonthIndex(from) - anchorIndex) / step);
        for (; anchorIndex + (k * step) <= LastMonthIndex; k++)
        {
            var date = anchor.PlusMonths(k * step);
            if (date >= from)
            {
                yield return date;
            }
        }
    }

    private static IEnumerable<LocalDate> TwiceMonthly(int day1, int day2, LocalDate firstRunDate, LocalDate from)
    {
        var notBefore = LocalDate.Max(firstRunDate, from);
        for (var index = MonthIndex(notBefore); index <= LastMonthIndex; index++)
        {
            var year = index / 12;
            var month = (index % 12) + 1;
            var daysInMonth = CalendarSystem.Iso.GetDaysInMonth(year, month);
            var first = new LocalDate(year, month, Math.Min(day1, daysInMonth));
            var second = new LocalDate(year, month, Math.Min(day2, daysInMonth));
            if (first >= notBefore)
            {
                yield return first;
            }

            if (second != first && second >= notBefore)
            {
                yield return second;
            }
        }
    }

    private static int MonthIndex(LocalDate date) => (date.Year * 12) + date.Month - 1;

    private static int DaysBetween(LocalDate start, LocalDate end) => Period.Between(start, end, PeriodUnits.Days).Days;

    private static void EnsureSupported(LocalDate date, string parameter)
    {
        if (date.Calendar != CalendarSystem.Iso || date.Year < 1)
        {
            throw new ArgumentException($"{date} is not an ISO date in years 1-9999.", parameter);
        }
    }
}
