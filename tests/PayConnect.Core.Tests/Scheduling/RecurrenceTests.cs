using CsCheck;
using NodaTime;
using NodaTime.Text;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Scheduling;

public class RecurrenceTests
{
    private static readonly Frequency Monthly = new Frequency.Monthly();

    [Fact]
    public void Occurrences_MonthlyAnchoredOn31st_ClampsToMonthEndWithoutDrifting()
    {
        var dates = Recurrence.Occurrences(Monthly, new LocalDate(2024, 1, 31)).Take(7);

        Assert.Equal(Dates("2024-01-31 2024-02-29 2024-03-31 2024-04-30 2024-05-31 2024-06-30 2024-07-31"), dates);
    }

    // Jan 2023 to Mar 2024 covers a common and a leap February and every month length.
    [Theory]
    [InlineData(28, "2023-01-28 2023-02-28 2023-03-28 2023-04-28 2023-05-28 2023-06-28 2023-07-28 2023-08-28 2023-09-28 2023-10-28 2023-11-28 2023-12-28 2024-01-28 2024-02-28 2024-03-28")]
    [InlineData(29, "2023-01-29 2023-02-28 2023-03-29 2023-04-29 2023-05-29 2023-06-29 2023-07-29 2023-08-29 2023-09-29 2023-10-29 2023-11-29 2023-12-29 2024-01-29 2024-02-29 2024-03-29")]
    [InlineData(30, "2023-01-30 2023-02-28 2023-03-30 2023-04-30 2023-05-30 2023-06-30 2023-07-30 2023-08-30 2023-09-30 2023-10-30 2023-11-30 2023-12-30 2024-01-30 2024-02-29 2024-03-30")]
    [InlineData(31, "2023-01-31 2023-02-28 2023-03-31 2023-04-30 2023-05-31 2023-06-30 2023-07-31 2023-08-31 2023-09-30 2023-10-31 2023-11-30 2023-12-31 2024-01-31 2024-02-29 2024-03-31")]
    public void Occurrences_MonthlyAnchoredAtMonthEnd_FollowsTheTable(int anchorDay, string expected)
    {
        var dates = Recurrence.Occurrences(Monthly, new LocalDate(2023, 1, anchorDay)).Take(15);

        Assert.Equal(Dates(expected), dates);
    }

    [Fact]
    public void Occurrences_AnnuallyOnLeapDay_RunsOnFeb28InCommonYearsAndFeb29InLeapYears()
    {
        var dates = Recurrence.Occurrences(new Frequency.Annually(), new LocalDate(2024, 2, 29)).Take(6);

        Assert.Equal(Dates("2024-02-29 2025-02-28 2026-02-28 2027-02-28 2028-02-29 2029-02-28"), dates);
    }

    [Fact]
    public void Occurrences_AnnuallyAcrossCenturyYears_KnowsThat2100IsNotALeapYear()
    {
        var dates = Recurrence.Occurrences(new Frequency.Annually(), new LocalDate(2096, 2, 29)).Take(3);

        Assert.Equal(Dates("2096-02-29 2097-02-28 2098-02-28"), dates);
        Assert.Contains(new LocalDate(2100, 2, 28), Recurrence.Occurrences(new Frequency.Annually(), new LocalDate(2096, 2, 29)).Take(5));
    }

    [Fact]
    public void Occurrences_QuarterlyAnchoredOn30th_KeepsThe30thAfterALeapFebruary()
    {
        var dates = Recurrence.Occurrences(new Frequency.Quarterly(), new LocalDate(2023, 11, 30)).Take(5);

        Assert.Equal(Dates("2023-11-30 2024-02-29 2024-05-30 2024-08-30 2024-11-30"), dates);
    }

    [Fact]
    public void Occurrences_SemiAnnuallyAnchoredOn31st_ClampsFebruaryAndReturnsToThe31st()
    {
        var dates = Recurrence.Occurrences(new Frequency.SemiAnnually(), new LocalDate(2023, 8, 31)).Take(4);

        Assert.Equal(Dates("2023-08-31 2024-02-29 2024-08-31 2025-02-28"), dates);
    }

    [Fact]
    public void Occurrences_WeeklyAcrossSpringForward_AddsSevenCalendarDays()
    {
        // US DST began 2025-03-09; run dates are calendar dates and do not notice.
        var dates = Recurrence.Occurrences(new Frequency.Weekly(), new LocalDate(2025, 3, 2)).Take(3);

        Assert.Equal(Dates("2025-03-02 2025-03-09 2025-03-16"), dates);
    }

    [Fact]
    public void Occurrences_EveryTwoWeeksOverNewYear_AddsFourteenDays()
    {
        var dates = Recurrence.Occurrences(new Frequency.EveryNWeeks(2), new LocalDate(2024, 12, 25)).Take(3);

        Assert.Equal(Dates("2024-12-25 2025-01-08 2025-01-22"), dates);
    }

    [Fact]
    public void Occurrences_Once_YieldsOnlyTheFirstRunDate()
    {
        Assert.Equal(Dates("2025-06-30"), Recurrence.Occurrences(new Frequency.Once(), new LocalDate(2025, 6, 30)));
    }

    [Theory]
    [InlineData(1, 15, "2025-01-10", "2025-01-15 2025-02-01 2025-02-15 2025-03-01")]
    [InlineData(1, 15, "2025-01-01", "2025-01-01 2025-01-15 2025-02-01 2025-02-15")]
    [InlineData(1, 15, "2025-01-15", "2025-01-15 2025-02-01 2025-02-15 2025-03-01")]
    [InlineData(1, 15, "2025-01-16", "2025-02-01 2025-02-15 2025-03-01 2025-03-15")]
    [InlineData(15, 31, "2025-02-01", "2025-02-15 2025-02-28 2025-03-15 2025-03-31 2025-04-15 2025-04-30")]
    [InlineData(30, 31, "2025-01-01", "2025-01-30 2025-01-31 2025-02-28 2025-03-30 2025-03-31 2025-04-30 2025-05-30")]
    [InlineData(29, 30, "2024-02-01", "2024-02-29 2024-03-29 2024-03-30")]
    public void Occurrences_TwiceMonthly_YieldsBothClampedDaysOnOrAfterTheFirstRunDate(int day1, int day2, string first, string expected)
    {
        var dates = Recurrence.Occurrences(new Frequency.TwiceMonthly(day1, day2), Date(first)).Take(Dates(expected).Count);

        Assert.Equal(Dates(expected), dates);
    }

    [Fact]
    public void Occurrences_AnyFrequency_AreStrictlyIncreasing()
    {
        Gen.Select(SchedulingGen.AnyFrequency, SchedulingGen.FirstRunDate).Sample((frequency, first) =>
        {
            var dates = Recurrence.Occurrences(frequency, first).Take(60).ToList();

            Assert.NotEmpty(dates);
            Assert.All(dates.Zip(dates.Skip(1)), pair => Assert.True(pair.First < pair.Second, $"{pair.First} !< {pair.Second}"));
        }, iter: 2000);
    }

    [Fact]
    public void Occurrences_AnyFrequencyButTwiceMonthly_StartOnTheFirstRunDate()
    {
        var gen = SchedulingGen.AnyFrequency.Where(f => f is not Frequency.TwiceMonthly);
        Gen.Select(gen, SchedulingGen.FirstRunDate).Sample((frequency, first) =>
            Assert.Equal(first, Recurrence.Occurrences(frequency, first).First()), iter: 1000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(12)]
    public void Occurrences_MonthTypeFrequencies_KeepTheAnchorDayClampedToMonthEnd(int monthsBetweenRuns)
    {
        Frequency frequency = monthsBetweenRuns switch
        {
            1 => new Frequency.Monthly(),
            3 => new Frequency.Quarterly(),
            6 => new Frequency.SemiAnnually(),
            _ => new Frequency.Annually(),
        };

        SchedulingGen.FirstRunDate.Sample(first =>
        {
            var k = 0;
            foreach (var date in Recurrence.Occurrences(frequency, first).Take(40))
            {
                var monthsFromAnchor = ((date.Year - first.Year) * 12) + date.Month - first.Month;
                Assert.Equal(k * monthsBetweenRuns, monthsFromAnchor);
                Assert.Equal(Math.Min(first.Day, SchedulingGen.DaysInMonth(date)), date.Day);
                k++;
            }
        }, iter: 1000);
    }

    [Fact]
    public void Occurrences_WeeklyAndEveryNWeeks_AreExactly7NDaysApart()
    {
        var weekly = Gen.Const<Frequency>(new Frequency.Weekly());
        Gen.Select(Gen.OneOf(weekly, SchedulingGen.EveryNWeeks), SchedulingGen.FirstRunDate).Sample((frequency, first) =>
        {
            var step = frequency is Frequency.EveryNWeeks e ? 7 * e.N : 7;
            var k = 0;
            foreach (var date in Recurrence.Occurrences(frequency, first).Take(60))
            {
                Assert.Equal(first.PlusDays(k * step), date);
                k++;
            }
        }, iter: 1000);
    }

    [Fact]
    public void Occurrences_TwiceMonthly_AreExactlyTheClampedDaysOnOrAfterTheFirstRunDate()
    {
        // Oracle: walk every calendar day and keep the ones that are day1 or day2 of their month after clamping.
        Gen.Select(SchedulingGen.TwiceMonthly, SchedulingGen.FirstRunDate).Sample((frequency, first) =>
        {
            var t = (Frequency.TwiceMonthly)frequency;
            var horizon = first.PlusMonths(14);
            var expected = new List<LocalDate>();
            for (var day = first; day < horizon; day = day.PlusDays(1))
            {
                var daysInMonth = SchedulingGen.DaysInMonth(day);
                if (day.Day == Math.Min(t.Day1, daysInMonth) || day.Day == Math.Min(t.Day2, daysInMonth))
                {
                    expected.Add(day);
                }
            }

            Assert.Equal(expected, Recurrence.Occurrences(frequency, first).TakeWhile(d => d < horizon));
        }, iter: 500);
    }

    [Fact]
    public void Occurrences_TwiceMonthly_FirstMonthHasOnlyTheDaysOnOrAfterTheFirstRunDate()
    {
        Gen.Select(SchedulingGen.TwiceMonthly, SchedulingGen.FirstRunDate).Sample((frequency, first) =>
        {
            var t = (Frequency.TwiceMonthly)frequency;
            var daysInMonth = SchedulingGen.DaysInMonth(first);
            var expectedInFirstMonth = new[] { Math.Min(t.Day1, daysInMonth), Math.Min(t.Day2, daysInMonth) }
                .Distinct()
                .Count(day => day >= first.Day);

            var inFirstMonth = Recurrence.Occurrences(frequency, first)
                .TakeWhile(d => d.Year == first.Year && d.Month == first.Month)
                .Count();

            Assert.Equal(expectedInFirstMonth, inFirstMonth);
        }, iter: 1000);
    }

    [Fact]
    public void OccurrencesFrom_AnyStartDate_EqualsFilteringTheFullSequence()
    {
        Gen.Select(SchedulingGen.AnyFrequency, SchedulingGen.FirstRunDate, Gen.Int[-400, 3000]).Sample((frequency, first, offset) =>
        {
            var from = first.PlusDays(offset);
            var expected = Recurrence.Occurrences(frequency, first).SkipWhile(d => d < from).Take(10).ToList();

            Assert.Equal(expected, Recurrence.OccurrencesFrom(frequency, first, from).Take(10));
        }, iter: 2000);
    }

    [Fact]
    public void Occurrences_NearTheLastSupportedDate_EndWithoutOverflowing()
    {
        Assert.Equal(Dates("9999-10-31 9999-11-30 9999-12-31"), Recurrence.Occurrences(Monthly, new LocalDate(9999, 10, 31)));
        Assert.Equal(Dates("9999-12-20 9999-12-27"), Recurrence.Occurrences(new Frequency.Weekly(), new LocalDate(9999, 12, 20)));
        Assert.Equal(Dates("9999-12-15 9999-12-31"), Recurrence.Occurrences(new Frequency.TwiceMonthly(15, 31), new LocalDate(9999, 12, 1)));
    }

    [Fact]
    public void Occurrences_InvalidFrequency_ThrowsBeforeEnumerating()
    {
        var error = Assert.Throws<ArgumentException>(() => Recurrence.Occurrences(new Frequency.EveryNWeeks(0), new LocalDate(2025, 1, 1)));
        Assert.Contains("frequency.n", error.Message, StringComparison.Ordinal);
    }

    internal static LocalDate Date(string iso) => LocalDatePattern.Iso.Parse(iso).GetValueOrThrow();

    internal static List<LocalDate> Dates(string isoDates) =>
        isoDates.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Date).ToList();
}
