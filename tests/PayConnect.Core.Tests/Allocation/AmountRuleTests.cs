using PayConnect.Allocation;

namespace PayConnect.Tests.Allocation;

public class AmountRuleTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void UpTo_ZeroOrNegativeCap_IsInvalid(long minor)
    {
        Assert.False(AmountRule.TryUpTo(Usd.Of(minor), out _, out var error));
        Assert.Contains("greater than zero", error);
    }

    [Fact]
    public void UpTo_UnsupportedCurrency_IsInvalid()
    {
        Assert.False(AmountRule.TryUpTo(new Money(100, "XYZ"), out _, out var error));
        Assert.Contains("XYZ", error);
    }

    [Fact]
    public void UpTo_FromApiDecimal_ConvertsToMinorUnits()
    {
        Assert.True(AmountRule.TryUpTo(250.50m, "USD", out var rule, out _));
        Assert.Equal(Usd.Of(25_050), rule.Cap);
    }

    [Theory]
    [InlineData("12.345", "USD")]
    [InlineData("100.5", "JPY")]
    [InlineData("1.0001", "KWD")]
    public void UpTo_FromApiDecimalWithTooManyDecimals_IsRejectedNotRounded(string amount, string currency)
    {
        Assert.False(AmountRule.TryUpTo(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency, out _, out var error));
        Assert.Contains("decimal places", error);
    }

    [Fact]
    public void UpTo_FromHugeApiDecimal_IsRejected()
    {
        Assert.False(AmountRule.TryUpTo(decimal.MaxValue, "USD", out _, out var error));
        Assert.Contains("too large", error);
    }

    [Fact]
    public void CreateUpTo_InvalidCap_Throws()
    {
        Assert.Throws<ArgumentException>(() => AmountRule.CreateUpTo(Usd.Of(0)));
    }

    [Fact]
    public void PayAll_IsOneValue()
    {
        Assert.Same(AmountRule.PayAll, AmountRule.PayAll);
        Assert.IsType<AmountRule.PayAllOutstanding>(AmountRule.PayAll);
    }
}
