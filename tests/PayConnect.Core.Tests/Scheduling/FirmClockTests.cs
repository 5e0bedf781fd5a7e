using CsCheck;
using NodaTime;
using NodaTime.Testing;
using NodaTime.Text;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Scheduling;

public class FirmClockTests
{
    private static readonly IDateTimeZoneProvider Tzdb = DateTimeZoneProviders.Tzdb;

    [Theory]
    // America/Chicago: spring forward 2025-03-09 02:00 CST→CDT, fall back 2025-11-02 02:00 CDT→CST.
    [InlineData("America/Chicago", "2025-03-09T05:59:59Z", "2025-03-08")]
    [InlineData("America/Chicago", "2025-03-09T06:00:00Z", "2025-03-09")]
    [InlineData("America/Chicago", "2025-03-10T04:59:59Z", "2025-03-09")]
    [InlineData("America/Chicago", "2025-03-10T05:00:00Z", "2025-03-10")]
    [InlineData("America/Chicago", "2025-11-02T04:59:59Z", "2025-11-01")]
    [InlineData("America/Chicago", "2025-11-02T05:00:00Z", "2025-11-02")]
    [InlineData("America/Chicago", "2025-11-03T05:30:00Z", "2025-11-02")]
    [InlineData("America/Chicago", "2025-11-03T06:00:00Z", "2025-11-03")]
    // America/New_York: same dates, one hour east.
    [InlineData("America/New_York", "2025-03-09T04:59:59Z", "2025-03-08")]
    [InlineData("America/New_York", "2025-03-10T03:59:59Z", "2025-03-09")]
    [InlineData("America/New_York", "2025-03-10T04:00:00Z", "2025-03-10")]
    [InlineData("America/New_York", "2025-11-03T04:30:00Z", "2025-11-02")]
    [InlineData("America/New_York", "2025-11-03T05:00:00Z", "2025-11-03")]
    // Australia/Lord_Howe: half-hour DST, +11:00 in summer and +10:30 in winter; ends 2025-04-06, starts 2025-10-05.
    [InlineData("Australia/Lord_Howe", "2025-04-05T12:59:59Z", "2025-04-05")]
    [InlineData("Australia/Lord_Howe", "2025-04-05T13:00:00Z", "2025-04-06")]
    [InlineData("Australia/Lord_Howe", "2025-04-06T13:15:00Z", "2025-04-06")]
    [InlineData("Australia/Lord_Howe", "2025-04-06T13:30:00Z", "2025-04-07")]
    [InlineData("Australia/Lord_Howe", "2025-10-05T12:59:59Z", "2025-10-05")]
    [InlineData("Australia/Lord_Howe", "2025-10-05T13:15:00Z", "2025-10-06")]
    // Pacific/Kiritimati is UTC+14 and Pacific/Pago_Pago UTC−11: a day apart and more.
    [InlineData("Pacific/Kiritimati", "2024-12-31T09:59:59Z", "2024-12-31")]
    [InlineData("Pacific/Kiritimati", "2024-12-31T10:00:00Z", "2025-01-01")]
    [InlineData("Pacific/Kiritimati", "2025-01-01T10:30:00Z", "2025-01-02")]
    [InlineData("Pacific/Pago_Pago", "2025-01-01T10:30:00Z", "2024-12-31")]
    [InlineData("Pacific/Pago_Pago", "2025-01-01T10:59:59Z", "2024-12-31")]
    [InlineData("Pacific/Pago_Pago", "2025-01-01T11:00:00Z", "2025-01-01")]
    public void Today_AroundDstChangesAndExtremeOffsets_IsTheFirmLocalDate(string zoneId, string utc, string expectedDate)
    {
        var firmClock = new FirmClock(new FakeClock(InstantPattern.General.Parse(utc).GetValueOrThrow()));

        Assert.Equal(RecurrenceTests.Date(expectedDate), firmClock.Today(Tzdb[zoneId]));
    }

    [Fact]
    public void Today_AsTheFakeClockAdvances_FollowsTheClock()
    {
        var clock = new FakeClock(Instant.FromUtc(2025, 3, 9, 5, 0));
        var firmClock = new FirmClock(clock);
        var chicago = Tzdb["America/Chicago"];

        Assert.Equal(new LocalDate(2025, 3, 8), firmClock.Today(chicago));
        clock.AdvanceHours(1);
        Assert.Equal(new LocalDate(2025, 3, 9), firmClock.Today(chicago));
        Assert.Equal(Instant.FromUtc(2025, 3, 9, 6, 0), firmClock.Now);
    }

    [Fact]
    public void LatestAndEarliestLocalDate_AtAnInstant_AreTheDatesAtUtcPlus14AndMinus12()
    {
        var instant = Instant.FromUtc(2025, 1, 1, 10, 0);

        Assert.Equal(new LocalDate(2025, 1, 2), FirmClock.LatestLocalDate(instant));
        Assert.Equal(new LocalDate(2024, 12, 31), FirmClock.EarliestLocalDate(instant));
        Assert.Equal(new LocalDate(2025, 1, 1), FirmClock.LatestLocalDate(Instant.FromUtc(2025, 1, 1, 9, 59)));
        Assert.Equal(new LocalDate(2025, 1, 1), FirmClock.EarliestLocalDate(Instant.FromUtc(2025, 1, 1, 12, 0)));
    }

    [Fact]
    public void LatestAndEarliestLocalDate_AnyTzdbZone_LiesBetweenThem()
    {
        var zones = Tzdb.Ids.Select(id => Tzdb[id]).ToArray();
        var from = Instant.FromUtc(1990, 1, 1, 0, 0);
        var instants = Gen.Long[0, (long)(Instant.FromUtc(2100, 12, 31, 23, 59) - from).TotalSeconds]
            .Select(seconds => from.Plus(Duration.FromSeconds(seconds)));

        instants.Sample(instant =>
        {
            var earliest = FirmClock.EarliestLocalDate(instant);
            var latest = FirmClock.LatestLocalDate(instant);
            foreach (var zone in zones)
            {
                Assert.InRange(FirmClock.TodayIn(zone, instant), earliest, latest);
            }

            // The bounds are tight: real zones sit on them (Kiritimati has been UTC+14 since 1995).
            Assert.Equal(earliest, FirmClock.TodayIn(Tzdb["Etc/GMT+12"], instant));
            if (instant >= Instant.FromUtc(1995, 1, 1, 10, 0))
            {
                Assert.Equal(latest, FirmClock.TodayIn(Tzdb["Pacific/Kiritimati"], instant));
            }
        }, iter: 300);
    }

    [Theory]
    [InlineData("America/Chicago")]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("Pacific/Kiritimati")]
    [InlineData("Etc/UTC")]
    public void TryResolveZone_KnownIanaId_ReturnsTheZone(string zoneId)
    {
        Assert.True(FirmClock.TryResolveZone(zoneId, out var zone, out var error));
        Assert.Equal(zoneId, zone.Id);
        Assert.Null(error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("America/Chicag")]
    [InlineData("america/chicago")]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("UTC+05")]
    [InlineData("Central Standard Time")]
    public void TryResolveZone_MissingOrUnknownId_ReturnsAFieldError(string? zoneId)
    {
        Assert.False(FirmClock.TryResolveZone(zoneId, out var zone, out var error, field: "firm.timeZone"));
        Assert.Null(zone);
        Assert.Equal("firm.timeZone", error.Field);
        Assert.Contains("IANA", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("America/Chicago")]
    [InlineData("America/New_York")]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("Pacific/Kiritimati")]
    [InlineData("Pacific/Pago_Pago")]
    [InlineData("America/Santiago")]
    public void FanOut_TickingThroughAYearOfDstChanges_SendsEachRunOnceRightAfterLocalMidnight(string zoneId)
    {
        // A fan-out that ticks every 30 minutes (UTC :00 and :30, which also hits half-hour offsets) for all of 2025.
        var zone = Tzdb[zoneId];
        var clock = new FakeClock(Instant.FromUtc(2024, 12, 31, 0, 0));
        var firmClock = new FirmClock(clock);
        var frequencies = new Frequency[] { new Frequency.Weekly(), new Frequency.TwiceMonthly(1, 15), new Frequency.Monthly() };

        // 2025-01-05 is a Sunday, like the US and Lord Howe transition days; the payment plan keeps it going all year.
        var timelines = frequencies
            .Select(f => new ScheduleTimeline(f, new LocalDate(2025, 1, 5), ScheduleLifetime.PaymentPlan))
            .ToArray();
        var sent = frequencies.Select(_ => new List<(LocalDate Run, Instant At)>()).ToArray();
        var end = Instant.FromUtc(2026, 1, 2, 0, 0);
        for (; clock.GetCurrentInstant() < end; clock.Advance(Duration.FromMinutes(30)))
        {
            var today = firmClock.Today(zone);
            for (var i = 0; i < timelines.Length; i++)
            {
                foreach (var run in timelines[i].DueRuns(today))
                {
                    sent[i].Add((run, firmClock.Now));
                    timelines[i] = timelines[i].MarkScheduled(run);
                }
            }
        }

        var lastLocalDate = FirmClock.TodayIn(zone, end - Duration.FromMinutes(30));
        for (var i = 0; i < frequencies.Length; i++)
        {
            var expected = Recurrence.Occurrences(frequencies[i], new LocalDate(2025, 1, 5)).TakeWhile(d => d <= lastLocalDate).ToList();
            Assert.Equal(expected, sent[i].Select(s => s.Run));
            Assert.All(sent[i], s =>
            {
                var localMidnight = zone.AtStartOfDay(s.Run).ToInstant();
                Assert.InRange(s.At, localMidnight, localMidnight + Duration.FromMinutes(29));
            });
        }

        Assert.Contains(sent[0], s => s.Run == (zoneId == "Australia/Lord_Howe" ? new LocalDate(2025, 4, 6) : new LocalDate(2025, 3, 9)));
    }
}
