using CsCheck;
using NodaTime;
using PayConnect.Scheduling;
using static PayConnect.Tests.Scheduling.RecurrenceTests;

namespace PayConnect.Tests.Scheduling;

public class ScheduleTimelineTests
{
    private static readonly Frequency Monthly = new Frequency.Monthly();
    private static readonly Frequency Weekly = new Frequency.Weekly();

    private static ScheduleTimeline OneYear(Frequency frequency, LocalDate first) => new(frequency, first, ScheduleLifetime.OneYear);

    // ---- lifetime -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(true, false, ScheduleLifetime.OneYear)]
    [InlineData(true, true, ScheduleLifetime.OneYear)]
    [InlineData(false, true, ScheduleLifetime.PaymentPlan)]
    [InlineData(false, false, ScheduleLifetime.NoEnrollments)]
    public void LifetimeFor_Enrollments_AnyClientOrMatterLevelCapsAtOneYear(bool clientOrMatter, bool invoice, ScheduleLifetime expected)
    {
        Assert.Equal(expected, ScheduleTimeline.LifetimeFor(clientOrMatter, invoice));
    }

    [Fact]
    public void DueRuns_MonthlyOneYearLifetime_RunsTwelveTimesEndingBeforeTheAnniversary()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 31));

        var runs = timeline.DueRuns(new LocalDate(2030, 1, 1));

        Assert.Equal(Dates("2025-01-31 2025-02-28 2025-03-31 2025-04-30 2025-05-31 2025-06-30 2025-07-31 2025-08-31 2025-09-30 2025-10-31 2025-11-30 2025-12-31"), runs);
        Assert.Equal(new LocalDate(2026, 1, 31), timeline.LifetimeEnd);
    }

    [Fact]
    public void DueRuns_WeeklyOneYearLifetime_IncludesTheLastDayOfTheYearButNotTheAnniversary()
    {
        // 52 weeks are 364 days, so day 364 (Dec 31) is still inside the year: 53 runs.
        var runs = OneYear(Weekly, new LocalDate(2025, 1, 1)).DueRuns(new LocalDate(2027, 1, 1));

        Assert.Equal(53, runs.Count);
        Assert.Equal(new LocalDate(2025, 12, 31), runs[^1]);
    }

    [Fact]
    public void DueRuns_MonthlyFromLeapDay_EndsBeforeFeb28OfTheNextYear()
    {
        var timeline = OneYear(Monthly, new LocalDate(2024, 2, 29));

        var runs = timeline.DueRuns(new LocalDate(2030, 1, 1));

        Assert.Equal(new LocalDate(2025, 2, 28), timeline.LifetimeEnd);
        Assert.Equal(12, runs.Count);
        Assert.Equal(new LocalDate(2025, 1, 29), runs[^1]);
    }

    [Fact]
    public void DueRuns_OneYearLifetime_HasTheRightCountForEveryFrequency()
    {
        Gen.Select(SchedulingGen.AnyFrequency, SchedulingGen.FirstRunDate).Sample((frequency, first) =>
        {
            var timeline = OneYear(frequency, first);
            var end = first.PlusYears(1);
            var daysInLifetime = SchedulingGen.DaysBetween(first, end);
            Assert.InRange(daysInLifetime, 365, 366);

            var runs = timeline.DueRuns(first.PlusYears(3));

            var expected = frequency switch
            {
                Frequency.Once => 1,
                Frequency.Weekly => 53,
                Frequency.EveryNWeeks e => (daysInLifetime + (7 * e.N) - 1) / (7 * e.N),
                Frequency.Monthly => 12,
                Frequency.Quarterly => 4,
                Frequency.SemiAnnually => 2,
                Frequency.Annually => 1,
                Frequency.TwiceMonthly t => TwiceMonthlyDaysIn(t, first, end),
                _ => throw new InvalidOperationException(),
            };
            Assert.Equal(expected, runs.Count);
            Assert.All(runs, d => Assert.InRange(d, first, end.PlusDays(-1)));
            Assert.Equal(runs, Recurrence.Occurrences(frequency, first).TakeWhile(d => d < end));
        }, iter: 3000);
    }

    [Fact]
    public void DueRuns_TwiceMonthlyOneYearLifetime_Runs24TimesWhenTheDaysNeverCollide()
    {
        // Day1 ≤ 27 never clamps onto day2; a Feb 29 first run date shortens the year to Feb 28 (see LifetimeEnd).
        var gen = SchedulingGen.TwiceMonthly.Where(f => ((Frequency.TwiceMonthly)f).Day1 <= 27);
        var first = SchedulingGen.FirstRunDate.Where(d => d is not { Month: 2, Day: 29 });
        Gen.Select(gen, first).Sample((frequency, firstRunDate) =>
            Assert.Equal(24, OneYear(frequency, firstRunDate).DueRuns(firstRunDate.PlusYears(2)).Count), iter: 2000);
    }

    [Fact]
    public void DueRuns_TwiceMonthlyStartingMidMonth_RunsTheSecondDayFirstAndTheFirstDayInTheLastMonth()
    {
        var runs = OneYear(new Frequency.TwiceMonthly(1, 15), new LocalDate(2025, 1, 10)).DueRuns(new LocalDate(2027, 1, 1));

        Assert.Equal(24, runs.Count);
        Assert.Equal(new LocalDate(2025, 1, 15), runs[0]);
        Assert.Equal(new LocalDate(2026, 1, 1), runs[^1]);
    }

    [Fact]
    public void DueRuns_PaymentPlan_HasNoOneYearCap()
    {
        var timeline = new ScheduleTimeline(Monthly, new LocalDate(2025, 1, 31), ScheduleLifetime.PaymentPlan);

        var runs = timeline.DueRuns(new LocalDate(2027, 2, 28));

        Assert.Null(timeline.LifetimeEnd);
        Assert.Equal(26, runs.Count);
        Assert.Equal(new LocalDate(2027, 2, 28), runs[^1]);
        Assert.False(timeline.IsFinished);
    }

    [Fact]
    public void DueRuns_PaymentPlanAnyFrequency_KeepsRunningPastOneYear()
    {
        var repeating = SchedulingGen.AnyFrequency.Where(f => f is not Frequency.Once);
        Gen.Select(repeating, SchedulingGen.FirstRunDate).Sample((frequency, first) =>
        {
            var plan = new ScheduleTimeline(frequency, first, ScheduleLifetime.PaymentPlan);
            var today = first.PlusYears(3);

            Assert.Equal(Recurrence.Occurrences(frequency, first).TakeWhile(d => d <= today), plan.DueRuns(today));
            Assert.Contains(plan.DueRuns(today), d => d >= first.PlusYears(1));
        }, iter: 1000);
    }

    [Fact]
    public void PaymentPlan_OnceEveryEnrolledInvoiceIsPaid_IsFinishedAndRunsNothing()
    {
        var plan = new ScheduleTimeline(Weekly, new LocalDate(2025, 1, 6), ScheduleLifetime.PaymentPlan, LastScheduledRunDate: new LocalDate(2025, 1, 13));

        var paid = plan with { AllEnrolledInvoicesPaid = true };

        Assert.Equal(new LocalDate(2025, 1, 20), plan.NextRunDate);
        Assert.True(paid.IsFinished);
        Assert.Null(paid.NextRunDate);
        Assert.Empty(paid.DueRuns(new LocalDate(2025, 6, 1)));
    }

    [Fact]
    public void AllEnrolledInvoicesPaid_OnAOneYearSchedule_IsIgnored()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 1)) with { AllEnrolledInvoicesPaid = true };

        Assert.False(timeline.IsFinished);
        Assert.Equal(3, timeline.DueRuns(new LocalDate(2025, 3, 1)).Count);
    }

    [Fact]
    public void Once_AfterItsRunIsSent_IsFinished()
    {
        var timeline = new ScheduleTimeline(new Frequency.Once(), new LocalDate(2025, 3, 1), ScheduleLifetime.PaymentPlan);

        Assert.Equal(Dates("2025-03-01"), timeline.DueRuns(new LocalDate(2026, 3, 1)));
        var sent = timeline.MarkScheduled(new LocalDate(2025, 3, 1));
        Assert.True(sent.IsFinished);
        Assert.Null(sent.NextRunDate);
        Assert.Empty(sent.DueRuns(new LocalDate(2026, 3, 1)));
    }

    [Fact]
    public void OneYearSchedule_AfterItsLastRun_IsFinished()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 31)).MarkScheduled(new LocalDate(2025, 11, 30));

        Assert.False(timeline.IsFinished);
        Assert.Equal(new LocalDate(2025, 12, 31), timeline.NextRunDate);
        var done = timeline.MarkScheduled(new LocalDate(2025, 12, 31));
        Assert.True(done.IsFinished);
        Assert.Null(done.NextRunDate);
    }

    [Fact]
    public void NoEnrollments_RunsNothingButIsNotFinished()
    {
        var idle = new ScheduleTimeline(Monthly, new LocalDate(2025, 1, 1), ScheduleLifetime.NoEnrollments);

        Assert.Empty(idle.DueRuns(new LocalDate(2025, 6, 1)));
        Assert.Empty(idle.Upcoming(5, new LocalDate(2025, 1, 1)));
        Assert.Null(idle.NextRunDate);
        Assert.False(idle.IsFinished);
        Assert.False(idle.IsRunning);
    }

    [Fact]
    public void WithLifetime_FirstEnrollmentOfAnIdleSchedule_DoesNotCatchUpTheIdleMonths()
    {
        var idle = new ScheduleTimeline(Monthly, new LocalDate(2025, 1, 10), ScheduleLifetime.NoEnrollments);

        var enrolled = idle.WithLifetime(ScheduleLifetime.OneYear, on: new LocalDate(2025, 4, 2));

        Assert.Equal(Dates("2025-01-10 2025-02-10 2025-03-10"), idle.SkippedIfResumedOn(new LocalDate(2025, 4, 2)));
        Assert.Empty(enrolled.DueRuns(new LocalDate(2025, 4, 2)));
        Assert.Equal(new LocalDate(2025, 4, 10), enrolled.NextRunDate);
        Assert.Equal(Dates("2025-04-10 2025-05-10"), enrolled.DueRuns(new LocalDate(2025, 5, 31)));
    }

    [Fact]
    public void WithLifetime_BetweenEnrolledKinds_KeepsPendingCatchUp()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 10));

        var plan = timeline.WithLifetime(ScheduleLifetime.PaymentPlan, on: new LocalDate(2025, 4, 2));

        Assert.Null(plan.ResumedOn);
        Assert.Equal(Dates("2025-01-10 2025-02-10 2025-03-10"), plan.DueRuns(new LocalDate(2025, 4, 2)));
    }

    // ---- state --------------------------------------------------------------------------------------------

    [Fact]
    public void Ended_RunsNothingAndCannotBeResumed()
    {
        var ended = OneYear(Monthly, new LocalDate(2025, 1, 1)) with { State = ScheduleState.Ended };

        Assert.Empty(ended.DueRuns(new LocalDate(2025, 6, 1)));
        Assert.Empty(ended.Upcoming(3, new LocalDate(2025, 1, 1)));
        Assert.Null(ended.NextRunDate);
        Assert.True(ended.IsFinished);
        Assert.Equal(ended, ended.Pause());
        Assert.Throws<InvalidOperationException>(() => ended.Resume(new LocalDate(2025, 6, 1)));
    }

    [Fact]
    public void Paused_RunsNothingAndIsNotFinished()
    {
        var paused = OneYear(Monthly, new LocalDate(2025, 1, 1)).Pause();

        Assert.Equal(ScheduleState.Paused, paused.State);
        Assert.Empty(paused.DueRuns(new LocalDate(2025, 6, 1)));
        Assert.Null(paused.NextRunDate);
        Assert.False(paused.IsFinished);
    }

    [Fact]
    public void Resume_AfterAPause_SkipsTheOccurrencesOfThePausedSpan()
    {
        var sentTwice = new ScheduleTimeline(Weekly, new LocalDate(2025, 1, 6), ScheduleLifetime.OneYear)
            .MarkScheduled(new LocalDate(2025, 1, 6))
            .MarkScheduled(new LocalDate(2025, 1, 13));
        var paused = sentTwice.Pause();

        var resumed = paused.Resume(new LocalDate(2025, 2, 12));

        Assert.Equal(Dates("2025-01-20 2025-01-27 2025-02-03 2025-02-10"), paused.SkippedIfResumedOn(new LocalDate(2025, 2, 12)));
        Assert.Equal(ScheduleState.Active, resumed.State);
        Assert.Empty(resumed.DueRuns(new LocalDate(2025, 2, 16)));
        Assert.Equal(new LocalDate(2025, 2, 17), resumed.NextRunDate);
        Assert.Equal(Dates("2025-02-17 2025-02-24"), resumed.DueRuns(new LocalDate(2025, 2, 24)));
    }

    [Fact]
    public void Resume_OnAnOccurrenceDate_RunsThatDate()
    {
        var paused = OneYear(Weekly, new LocalDate(2025, 1, 6)).MarkScheduled(new LocalDate(2025, 1, 6)).Pause();

        var resumed = paused.Resume(new LocalDate(2025, 2, 10));

        Assert.Equal(Dates("2025-02-10"), resumed.DueRuns(new LocalDate(2025, 2, 10)));
    }

    [Fact]
    public void Resume_AfterTheOneYearLifetimeEnded_LeavesNothingToRun()
    {
        var paused = OneYear(Monthly, new LocalDate(2025, 1, 15)).MarkScheduled(new LocalDate(2025, 2, 15)).Pause();

        var resumed = paused.Resume(new LocalDate(2026, 3, 1));

        Assert.False(paused.IsFinished);
        Assert.True(resumed.IsFinished);
        Assert.Empty(resumed.DueRuns(new LocalDate(2026, 6, 1)));
    }

    [Fact]
    public void Resume_Twice_NeverMovesTheResumeDateBack()
    {
        var resumed = OneYear(Monthly, new LocalDate(2025, 1, 15)).Pause().Resume(new LocalDate(2025, 5, 1));

        var again = resumed.Pause().Resume(new LocalDate(2025, 3, 1));

        Assert.Equal(new LocalDate(2025, 5, 1), again.ResumedOn);
        Assert.Equal(resumed, resumed.Resume(new LocalDate(2025, 3, 1)));
    }

    [Fact]
    public void FanOut_PausedForARandomSpan_NeverRunsTheSpanAndRunsEverythingElseOnce()
    {
        // Simulates a daily fan-out over the whole lifetime with a pause from `pausedOn` until `resumedOn`.
        var gen = Gen.Select(SchedulingGen.AnyFrequency, SchedulingGen.FirstRunDate, Gen.Int[0, 400], Gen.Int[0, 200]);
        gen.Sample((frequency, first, pauseOffset, pauseLength) =>
        {
            var pausedOn = first.PlusDays(pauseOffset);
            var resumedOn = pausedOn.PlusDays(pauseLength);
            var timeline = OneYear(frequency, first);
            var sent = new List<LocalDate>();
            var simulationEnd = first.PlusYears(1).PlusDays(3);
            for (var today = first; today < simulationEnd; today = today.PlusDays(1))
            {
                if (today == pausedOn)
                {
                    timeline = timeline.Pause();
                }

                if (today == resumedOn)
                {
                    timeline = timeline.Resume(today);
                }

                foreach (var run in timeline.DueRuns(today))
                {
                    sent.Add(run);
                    timeline = timeline.MarkScheduled(run);
                }
            }

            var inLifetime = Recurrence.Occurrences(frequency, first).TakeWhile(d => d < first.PlusYears(1)).ToList();
            Assert.Equal(inLifetime.Where(d => pauseLength == 0 || d < pausedOn || d >= resumedOn), sent);

            // Still paused at the end: finished only if nothing was left to run when it was paused.
            var stillPaused = pauseLength > 0 && pausedOn < simulationEnd && resumedOn >= simulationEnd;
            Assert.Equal(stillPaused ? ScheduleState.Paused : ScheduleState.Active, timeline.State);
            Assert.Equal(!stillPaused || !inLifetime.Any(d => d >= pausedOn), timeline.IsFinished);
        }, iter: 300);
    }

    // ---- catch-up -----------------------------------------------------------------------------------------

    [Fact]
    public void DueRuns_AfterDowntime_ReturnsEveryMissedRunOnceOldestFirst()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 15)).MarkScheduled(new LocalDate(2025, 1, 15));

        var due = timeline.DueRuns(new LocalDate(2025, 4, 20));

        Assert.Equal(Dates("2025-02-15 2025-03-15 2025-04-15"), due);
        var advanced = due.Aggregate(timeline, (t, run) => t.MarkScheduled(run));
        Assert.Empty(advanced.DueRuns(new LocalDate(2025, 4, 20)));
        Assert.Equal(new LocalDate(2025, 5, 15), advanced.NextRunDate);
    }

    [Fact]
    public void NextRunDate_WithRunsWaiting_IsTheOldestMissedRun()
    {
        var timeline = OneYear(Weekly, new LocalDate(2025, 1, 6)).MarkScheduled(new LocalDate(2025, 1, 6));

        Assert.Equal(new LocalDate(2025, 1, 13), timeline.NextRunDate);
    }

    [Fact]
    public void DueRuns_BeforeTheFirstRunDate_IsEmpty()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 15));

        Assert.Empty(timeline.DueRuns(new LocalDate(2025, 1, 14)));
        Assert.Equal(Dates("2025-01-15"), timeline.DueRuns(new LocalDate(2025, 1, 15)));
    }

    [Fact]
    public void MarkScheduled_WithAnOlderDate_NeverMovesTheCursorBack()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 15)).MarkScheduled(new LocalDate(2025, 3, 15));

        Assert.Equal(new LocalDate(2025, 3, 15), timeline.MarkScheduled(new LocalDate(2025, 2, 15)).LastScheduledRunDate);
    }

    [Fact]
    public void FanOut_WithRandomDowntime_SendsEveryOccurrenceExactlyOnceInOrder()
    {
        // Ticks arrive at random gaps (0 = a repeated tick on the same day, large = downtime); a crash between
        // sending and storing the cursor is not modelled here: the queue's duplicate detection covers that.
        var gen = Gen.Select(SchedulingGen.AnyFrequency, SchedulingGen.FirstRunDate, Gen.Int[0, 120].Array[1, 40], Gen.Bool);
        gen.Sample((frequency, first, gaps, paymentPlan) =>
        {
            var lifetime = paymentPlan ? ScheduleLifetime.PaymentPlan : ScheduleLifetime.OneYear;
            var timeline = new ScheduleTimeline(frequency, first, lifetime);
            var sent = new List<LocalDate>();
            var today = first.PlusDays(-3);
            foreach (var gap in gaps)
            {
                today = today.PlusDays(gap);
                var due = timeline.DueRuns(today);
                Assert.All(due, run => Assert.True(run <= today));
                if (due.Count > 0)
                {
                    Assert.Equal(due[0], timeline.NextRunDate);
                }

                foreach (var run in due)
                {
                    sent.Add(run);
                    timeline = timeline.MarkScheduled(run);
                }

                Assert.Empty(timeline.DueRuns(today));
            }

            var occurrences = Recurrence.Occurrences(frequency, first).TakeWhile(d => d <= today);
            Assert.Equal(paymentPlan ? occurrences : occurrences.TakeWhile(d => d < first.PlusYears(1)), sent);
        }, iter: 1000);
    }

    // ---- preview ------------------------------------------------------------------------------------------

    [Fact]
    public void Upcoming_FromADate_ListsTheNextRunsClampedToMonthEnd()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 31));

        Assert.Equal(Dates("2025-02-28 2025-03-31 2025-04-30"), timeline.Upcoming(3, new LocalDate(2025, 2, 10)));
    }

    [Fact]
    public void Upcoming_MoreThanTheLifetimeHolds_StopsAtTheOneYearCap()
    {
        var timeline = OneYear(Quarterly(), new LocalDate(2025, 1, 1));

        Assert.Equal(Dates("2025-04-01 2025-07-01 2025-10-01"), timeline.Upcoming(10, new LocalDate(2025, 2, 1)));
    }

    [Fact]
    public void Upcoming_WhilePaused_IsEmptyButAResumedPreviewShowsTheDates()
    {
        var paused = OneYear(Monthly, new LocalDate(2025, 1, 10)).Pause();

        Assert.Empty(paused.Upcoming(3, new LocalDate(2025, 3, 1)));
        Assert.Equal(Dates("2025-03-10 2025-04-10"), paused.Resume(new LocalDate(2025, 3, 1)).Upcoming(2, new LocalDate(2025, 3, 1)));
    }

    [Fact]
    public void Upcoming_FromBeforeTheCursor_StartsAfterTheCursor()
    {
        var timeline = OneYear(Monthly, new LocalDate(2025, 1, 10)).MarkScheduled(new LocalDate(2025, 2, 10));

        Assert.Equal(Dates("2025-03-10 2025-04-10"), timeline.Upcoming(2, new LocalDate(2025, 1, 1)));
        Assert.Empty(timeline.Upcoming(0, new LocalDate(2025, 1, 1)));
    }

    [Fact]
    public void Constructor_InvalidFrequency_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ScheduleTimeline(new Frequency.TwiceMonthly(15, 1), new LocalDate(2025, 1, 1), ScheduleLifetime.OneYear));
        var valid = OneYear(Monthly, new LocalDate(2025, 1, 1));
        Assert.Throws<ArgumentException>(() => valid with { Frequency = new Frequency.EveryNWeeks(0) });
    }

    private static Frequency Quarterly() => new Frequency.Quarterly();

    private static int TwiceMonthlyDaysIn(Frequency.TwiceMonthly t, LocalDate start, LocalDate endExclusive)
    {
        var count = 0;
        for (var day = start; day < endExclusive; day = day.PlusDays(1))
        {
            var daysInMonth = SchedulingGen.DaysInMonth(day);
            if (day.Day == Math.Min(t.Day1, daysInMonth) || day.Day == Math.Min(t.Day2, daysInMonth))
            {
                count++;
            }
        }

        return count;
    }
}
