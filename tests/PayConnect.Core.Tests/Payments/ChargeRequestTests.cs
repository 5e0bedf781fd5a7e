using PayConnect.Payments;

namespace PayConnect.Tests.Payments;

public class ChargeRequestTests
{
    private const string RunKey = "firm-1/sched-1/2025-03-01";

    [Fact]
    public void IdempotencyKey_IsStablePerRunAndAttempt()
    {
        Assert.Equal(ChargeIdempotencyKey.For(RunKey, 1), ChargeIdempotencyKey.For(RunKey, 1));
        Assert.NotEqual(ChargeIdempotencyKey.For(RunKey, 1), ChargeIdempotencyKey.For(RunKey, 2));
        Assert.NotEqual(ChargeIdempotencyKey.For(RunKey, 1), ChargeIdempotencyKey.For("firm-1/sched-1/2025-03-02", 1));
    }

    [Fact]
    public void IdempotencyKey_TooLong_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => ChargeIdempotencyKey.For(new string('x', 250), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChargeIdempotencyKey.For(RunKey, 0));
    }

    [Theory]
    [InlineData(0, "USD")]
    [InlineData(-5, "USD")]
    [InlineData(100, "XYZ")]
    public void ChargeRequest_WithoutAPositiveSupportedAmount_IsRefused(long minor, string currency)
    {
        Assert.Throws<ArgumentException>(() => new ChargeRequest("key", RunKey, "pm", new Money(minor, currency), "bank-1"));
    }

    [Fact]
    public void ChargeRequest_ToString_LeavesTheTokenOut()
    {
        var request = new ChargeRequest("key", RunKey, "cus_secret|pm_secret", new Money(100, "USD"), "bank-1");

        Assert.DoesNotContain("secret", request.ToString());
    }
}
