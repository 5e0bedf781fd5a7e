using PayConnect.Connect;
using PayConnect.Payments;

namespace PayConnect.Tests.Payments;

public class ChargeRequestTests
{
    private const string RunKey = "firm-1/sched-1/2025-03-01";

    private static readonly DepositAccount Operating = new("bank-1", BankAccountKind.Operating, "acct_1OperatingFirm1");

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
        Assert.Throws<ArgumentException>(() => new ChargeRequest("key", RunKey, "pm", new Money(minor, currency), Operating, PaymentRail.Card));
    }

    [Fact]
    public void ChargeRequest_ToString_LeavesTheTokenOut()
    {
        var request = new ChargeRequest("key", RunKey, "cus_secret|pm_secret", new Money(100, "USD"), Operating, PaymentRail.Card);

        Assert.DoesNotContain("secret", request.ToString());
    }

    [Theory]
    [InlineData(PaymentRail.Card, "mandate_1Abc")]
    [InlineData(PaymentRail.Ach, "mandate_")]
    [InlineData(PaymentRail.Ach, "mandate_1Abc; drop")]
    [InlineData(PaymentRail.Ach, "pm_1Abc")]
    public void ChargeRequest_MandateOnACardOrMalformed_IsRefused(PaymentRail rail, string mandateId)
    {
        Assert.Throws<ArgumentException>(() => new ChargeRequest("key", RunKey, "pm", new Money(100, "USD"), Operating, rail, mandateId));
    }

    [Fact]
    public void ChargeRequest_AchWithMandate_KeepsRailMandateAndDeposit()
    {
        var request = new ChargeRequest("key", RunKey, "pm", new Money(100, "USD"), Operating, PaymentRail.Ach, "mandate_1Abc");

        Assert.Equal((PaymentRail.Ach, "mandate_1Abc", "bank-1"), (request.Rail, request.MandateId, request.DestinationBankAccountId));
    }

    [Theory]
    [InlineData("acct_1Abc", true)]
    [InlineData("acct_", false)]
    [InlineData("acct_1Abc-2", false)]
    [InlineData("ACCT_1Abc", false)]
    [InlineData("cus_1Abc", false)]
    [InlineData(" acct_1Abc", false)]
    public void ConnectedAccountId_IsAcctFollowedByLettersAndDigits(string value, bool valid)
    {
        Assert.Equal(valid, GatewayIds.IsConnectedAccountId(value));
        Assert.Equal(valid, Record.Exception(() => new DepositAccount("bank-1", BankAccountKind.Trust, value)) is null);
    }

    [Theory]
    [InlineData(10_000, 290, 290)]
    [InlineData(10_001, 290, 291)]
    [InlineData(1, 1, 1)]
    [InlineData(50, 1_000, 5)]
    public void ApplicationFee_OnOperating_IsTheRateRoundedUp(long amount, int basisPoints, long fee)
    {
        var schedule = new PlatformFeeSchedule(basisPoints);

        Assert.Equal(new Money(fee, "USD"), schedule.ApplicationFeeFor(Operating, new Money(amount, "USD")));
    }

    [Fact]
    public void ApplicationFee_OnTrust_IsAlwaysZero()
    {
        var trust = new DepositAccount("bank-2", BankAccountKind.Trust, "acct_1TrustFirm1");

        Assert.Equal(new Money(0, "USD"), new PlatformFeeSchedule(PlatformFeeSchedule.MaxBasisPoints).ApplicationFeeFor(trust, new Money(1_000_000, "USD")));
    }
}
