using System.Globalization;
using CsCheck;
using NodaTime;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Scheduling;

public class RunKeyTests
{
    [Fact]
    public void Format_WritesFirmScheduleAndIsoRunDate()
    {
        var key = new RunKey("firm-1", "sched-9", new LocalDate(2025, 3, 9));

        Assert.Equal("firm-1/sched-9/2025-03-09", key.Format());
        Assert.Equal("firm-1/sched-9/2025-03-09", key.ToString());
        Assert.Equal("f/s/0999-01-05", new RunKey("f", "s", new LocalDate(999, 1, 5)).Format());
    }

    [Theory]
    [InlineData("ar-SA")]
    [InlineData("th-TH")]
    [InlineData("fa-IR")]
    [InlineData("de-DE")]
    public void Format_UnderAnyCurrentCulture_IsInvariant(string culture)
    {
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(culture);
            var key = new RunKey("f", "s", new LocalDate(2025, 12, 31));

            Assert.Equal("f/s/2025-12-31", key.Format());
            Assert.Equal(key, RunKey.Parse("f/s/2025-12-31"));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Parse_FormattedKey_RoundTrips()
    {
        var id = Gen.Char["abcXYZ0189-_.: é~"].Array[1, 24].Select(chars => new string(chars)).Where(s => !string.IsNullOrWhiteSpace(s));
        var date = Gen.Int[0, 3_652_058].Select(days => new LocalDate(1, 1, 1).PlusDays(days));
        Gen.Select(id, id, date).Sample((firmId, scheduleId, runDate) =>
        {
            var key = new RunKey(firmId, scheduleId, runDate);

            var parsed = RunKey.Parse(key.Format());

            Assert.Equal(key, parsed);
            Assert.Equal((firmId, scheduleId, runDate), (parsed.FirmId, parsed.ScheduleId, parsed.RunDate));
            Assert.Equal(key.Format(), parsed.Format());
        }, iter: 2000);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("firm/sched")]
    [InlineData("firm/sched/")]
    [InlineData("firm/sched/2025-03-09/extra")]
    [InlineData("firm//2025-03-09")]
    [InlineData("/sched/2025-03-09")]
    [InlineData(" /sched/2025-03-09")]
    [InlineData("firm/sched/2025-3-9")]
    [InlineData("firm/sched/2025-02-30")]
    [InlineData("firm/sched/20250309")]
    [InlineData("firm/sched/09-03-2025")]
    [InlineData("firm/sched/2025-03-09 ")]
    [InlineData("firm/sched/-0001-03-09")]
    public void TryParse_NotARunKey_IsRejected(string? text)
    {
        Assert.False(RunKey.TryParse(text, out var key));
        Assert.Equal(default, key);
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => RunKey.Parse(text));
        }
    }

    [Theory]
    [InlineData("firm/1", "sched")]
    [InlineData("firm", "sched/1")]
    [InlineData("", "sched")]
    [InlineData("firm", " ")]
    public void Constructor_IdWithSlashOrBlank_IsRejected(string firmId, string scheduleId)
    {
        Assert.Throws<ArgumentException>(() => new RunKey(firmId, scheduleId, new LocalDate(2025, 1, 1)));
    }

    [Fact]
    public void RunKeys_ForTheSameRun_AreEqual()
    {
        var a = new RunKey("firm", "sched", new LocalDate(2025, 1, 31));

        Assert.Equal(a, new RunKey("firm", "sched", new LocalDate(2025, 1, 31)));
        Assert.NotEqual(a, new RunKey("firm", "sched", new LocalDate(2025, 2, 28)));
        Assert.NotEqual(a, new RunKey("firm", "other", new LocalDate(2025, 1, 31)));
    }
}
