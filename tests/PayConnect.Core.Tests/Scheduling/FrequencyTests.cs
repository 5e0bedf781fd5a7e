using CsCheck;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Scheduling;

public class FrequencyTests
{
    public static TheoryData<Frequency, string> CanonicalForms => new()
    {
        { new Frequency.Once(), "Once" },
        { new Frequency.Weekly(), "Weekly" },
        { new Frequency.EveryNWeeks(2), "EveryNWeeks:2" },
        { new Frequency.EveryNWeeks(52), "EveryNWeeks:52" },
        { new Frequency.TwiceMonthly(1, 15), "TwiceMonthly:1,15" },
        { new Frequency.TwiceMonthly(15, 31), "TwiceMonthly:15,31" },
        { new Frequency.Monthly(), "Monthly" },
        { new Frequency.Quarterly(), "Quarterly" },
        { new Frequency.SemiAnnually(), "SemiAnnually" },
        { new Frequency.Annually(), "Annually" },
    };

    [Theory]
    [MemberData(nameof(CanonicalForms))]
    public void Format_EachFrequency_WritesItsCompactStorageForm(Frequency frequency, string expected)
    {
        Assert.Equal(expected, frequency.Format());
        Assert.Equal(expected, frequency.ToString());
    }

    [Theory]
    [MemberData(nameof(CanonicalForms))]
    public void TryParse_CanonicalForm_ReadsTheSameFrequency(Frequency expected, string text)
    {
        Assert.True(Frequency.TryParse(text, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public void FormatThenTryParse_AnyValidFrequency_RoundTrips()
    {
        SchedulingGen.AnyFrequency.Sample(frequency =>
        {
            var text = frequency.Format();
            Assert.True(Frequency.TryParse(text, out var parsed), text);
            Assert.Equal(frequency, parsed);
            Assert.Equal(text, parsed.Format());
        });
    }

    [Fact]
    public void TryParse_AnyTextThatParses_FormatsBackToTheSameText()
    {
        // Near-miss texts built from the codec's own pieces, so the parser sees plenty of almost-valid input.
        var name = Gen.OneOf("Once", "Weekly", "EveryNWeeks", "TwiceMonthly", "Monthly", "Quarterly", "SemiAnnually", "Annually", "monthly", "");
        var number = Gen.OneOf(Gen.Int[-2, 60].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.OneOf("", "02", "+3", " 4", "1 ", "x"));
        var args = Gen.OneOf(
            Gen.Const(""),
            number.Select(n => ":" + n),
            Gen.Select(number, number, (a, b) => ":" + a + "," + b),
            Gen.Select(number, number, number, (a, b, c) => ":" + a + "," + b + "," + c));
        var texts = Gen.Select(name, args, (n, a) => n + a);

        var parsedCount = 0;
        texts.Sample(text =>
        {
            if (Frequency.TryParse(text, out var parsed))
            {
                Interlocked.Increment(ref parsedCount);
                Assert.Equal(text, parsed.Format());
                Assert.Empty(parsed.Validate());
            }
        }, iter: 5000);

        Assert.True(parsedCount > 0, "the generator should produce some valid texts");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("monthly")]
    [InlineData("MONTHLY")]
    [InlineData(" Weekly")]
    [InlineData("Weekly ")]
    [InlineData("Monthly:")]
    [InlineData("Monthly:1")]
    [InlineData("Fortnightly")]
    [InlineData("EveryNWeeks")]
    [InlineData("EveryNWeeks:")]
    [InlineData("EveryNWeeks:02")]
    [InlineData("EveryNWeeks:+2")]
    [InlineData("EveryNWeeks: 2")]
    [InlineData("EveryNWeeks:-1")]
    [InlineData("EveryNWeeks:0")]
    [InlineData("EveryNWeeks:53")]
    [InlineData("EveryNWeeks:2147483648")]
    [InlineData("TwiceMonthly")]
    [InlineData("TwiceMonthly:1")]
    [InlineData("TwiceMonthly:1,")]
    [InlineData("TwiceMonthly:1, 15")]
    [InlineData("TwiceMonthly:15,1")]
    [InlineData("TwiceMonthly:15,15")]
    [InlineData("TwiceMonthly:0,15")]
    [InlineData("TwiceMonthly:1,32")]
    [InlineData("TwiceMonthly:1,15,20")]
    [InlineData("TwiceMonthly:1;15")]
    public void TryParse_MalformedOrInvalidText_IsRejected(string? text)
    {
        Assert.False(Frequency.TryParse(text, out var parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void Validate_AnyGeneratedFrequency_HasNoErrors()
    {
        SchedulingGen.AnyFrequency.Sample(frequency => Assert.Empty(frequency.Validate()));
    }

    public static TheoryData<Frequency, string[]> InvalidFrequencies => new()
    {
        { new Frequency.EveryNWeeks(0), ["frequency.n"] },
        { new Frequency.EveryNWeeks(-3), ["frequency.n"] },
        { new Frequency.EveryNWeeks(53), ["frequency.n"] },
        { new Frequency.TwiceMonthly(0, 15), ["frequency.day1"] },
        { new Frequency.TwiceMonthly(1, 32), ["frequency.day2"] },
        { new Frequency.TwiceMonthly(0, 32), ["frequency.day1", "frequency.day2"] },
        { new Frequency.TwiceMonthly(15, 15), ["frequency.day2"] },
        { new Frequency.TwiceMonthly(20, 10), ["frequency.day2"] },
    };

    [Theory]
    [MemberData(nameof(InvalidFrequencies))]
    public void Validate_OutOfRangeParameters_ReportsFieldErrors(Frequency frequency, string[] expectedFields)
    {
        var errors = frequency.Validate();

        Assert.Equal(expectedFields, errors.Select(e => e.Field));
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
        Assert.False(frequency.IsValid);
    }

    [Fact]
    public void Validate_WithFieldPath_PrefixesTheErrors()
    {
        var errors = new Frequency.TwiceMonthly(12, 3).Validate("schedules[2].frequency");

        var error = Assert.Single(errors);
        Assert.Equal("schedules[2].frequency.day2", error.Field);
        Assert.Equal("Must be later in the month than day1.", error.Message);
    }

    [Fact]
    public void Validate_BoundaryParameters_AreAccepted()
    {
        Assert.Empty(new Frequency.EveryNWeeks(1).Validate());
        Assert.Empty(new Frequency.EveryNWeeks(52).Validate());
        Assert.Empty(new Frequency.TwiceMonthly(1, 31).Validate());
        Assert.Empty(new Frequency.TwiceMonthly(30, 31).Validate());
    }
}
