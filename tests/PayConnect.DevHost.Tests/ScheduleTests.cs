using PayConnect.DevHost.Timers;

namespace PayConnect.DevHost.Tests;

public sealed class ScheduleTests
{
    public static TheoryData<string> SampleScheduleSettings()
    {
        var names = new TheoryData<string>();
        foreach (var name in TestFiles.Sample.Values.Keys.Where(k => k.EndsWith("Schedule", StringComparison.Ordinal)))
        {
            names.Add(name);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(SampleScheduleSettings))]
    public void SampleSettingsSchedule_IsASixFieldNcrontabThatFires(string setting)
    {
        var schedule = NcrontabSchedule.Parse(TestFiles.Sample.Values[setting]!);

        Assert.NotNull(NcrontabSchedule.Next(schedule, DateTime.UtcNow));
    }

    [Theory]
    [InlineData("0 */5 * * * *", "2026-03-02T12:03:10", "2026-03-02T12:05:00")]
    [InlineData("*/30 * * * * *", "2026-03-02T12:00:10", "2026-03-02T12:00:30")]
    [InlineData("0 * * * * *", "2026-03-02T12:00:00", "2026-03-02T12:01:00")]
    [InlineData("0 30 9 * * 1-5", "2026-03-06T10:00:00", "2026-03-09T09:30:00")]
    public void Next_SixFieldSchedule_IsTheFollowingUtcOccurrence(string expression, string after, string expected)
    {
        var schedule = NcrontabSchedule.Parse(expression);

        var next = NcrontabSchedule.Next(schedule, DateTime.SpecifyKind(DateTime.Parse(after, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc));

        Assert.Equal(DateTime.SpecifyKind(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc), next);
    }

    [Fact]
    public void SampleSettings_ScheduleEveryTimerTheSpecNames()
    {
        Assert.Equal(
            ["EmailOutboxSchedule", "FanOutSchedule", "PayerNoticesSchedule", "ReconciliationSchedule", "RunDrainSchedule", "RunSummarySchedule"],
            TestFiles.Sample.Values.Keys.Where(k => k.EndsWith("Schedule", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("*/5 * * * *", "five")]
    [InlineData("0 0 25 * * * *", "seven")]
    public void Parse_NotSixFields_FailsSayingSixAreNeeded(string expression, string _)
    {
        var error = Assert.Throws<FormatException>(() => NcrontabSchedule.Parse(expression));

        Assert.Contains("six", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OutOfRangeField_FailsNamingTheExpression()
    {
        var error = Assert.Throws<FormatException>(() => NcrontabSchedule.Parse("0 61 * * * *"));

        Assert.Contains("'0 61 * * * *'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateTimerInfo_OnTime_IsNotPastDueAndCarriesLastAndNext()
    {
        var schedule = NcrontabSchedule.Parse("0 */5 * * * *");
        var scheduled = new DateTime(2026, 3, 2, 12, 5, 0, DateTimeKind.Utc);

        var info = NcrontabSchedule.CreateTimerInfo(schedule, scheduled, scheduled.AddMinutes(-5), scheduled.AddMilliseconds(20));

        Assert.False(info.IsPastDue);
        Assert.Equal(scheduled.AddMinutes(-5), info.ScheduleStatus!.Last);
        Assert.Equal(scheduled.AddMinutes(5), info.ScheduleStatus.Next);
        Assert.Equal(scheduled.AddMilliseconds(20), info.ScheduleStatus.LastUpdated);
    }

    [Fact]
    public void CreateTimerInfo_StartedLate_IsPastDueAndNextIsAfterTheStart()
    {
        var schedule = NcrontabSchedule.Parse("0 */5 * * * *");
        var scheduled = new DateTime(2026, 3, 2, 12, 5, 0, DateTimeKind.Utc);

        var info = NcrontabSchedule.CreateTimerInfo(schedule, scheduled, lastUtc: null, startedUtc: scheduled.AddMinutes(7));

        Assert.True(info.IsPastDue);
        Assert.Equal(DateTime.MinValue, info.ScheduleStatus!.Last);
        Assert.Equal(new DateTime(2026, 3, 2, 12, 15, 0, DateTimeKind.Utc), info.ScheduleStatus.Next);
    }
}
