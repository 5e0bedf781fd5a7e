using NodaTime;
using PayConnect.Payments;

namespace PayConnect.Tests.Payments;

public class DeclinePolicyTests
{
    private static readonly LocalDate FirstRun = new(2025, 3, 1);
    private static readonly ChargeDeclined InsufficientFunds = new("insufficient_funds", "Your card has insufficient funds.", DeclineKind.Soft);
    private static readonly ChargeDeclined StolenCard = new("stolen_card", "Your card was declined.", DeclineKind.Hard);

    private static DeclinePolicy Policy(int maxRetries = 3, int afterDays = 2) =>
        new(new DeclineOptions { MaxSoftDeclineRetries = maxRetries, RetryAfterDays = afterDays });

    [Fact]
    public void Decide_SoftDecline_RetriesAfterTheConfiguredDaysAsTheNextAttempt()
    {
        var decision = Policy(afterDays: 3).Decide(InsufficientFunds, PaymentRail.Card, attemptsMade: 1, FirstRun, FirstRun);

        Assert.Equal(new RetryDecision.RetryOn(new LocalDate(2025, 3, 4), Attempt: 2), decision);
    }

    [Fact]
    public void Decide_CardDeclineRateLimit_WaitsMoreThanADayEvenWhenOneDayIsConfigured()
    {
        var rateLimited = new ChargeDeclined(DeclineCodes.CardDeclineRateLimitExceeded, "This card has been declined too many times.", DeclineKind.Soft);

        var decision = Policy(afterDays: 1).Decide(rateLimited, PaymentRail.Card, attemptsMade: 1, FirstRun, FirstRun);

        Assert.Equal(new RetryDecision.RetryOn(new LocalDate(2025, 3, 3), Attempt: 2), decision);
    }

    [Fact]
    public void Decide_HardDecline_NeverRetries()
    {
        var decision = Policy(maxRetries: 15).Decide(StolenCard, PaymentRail.Card, attemptsMade: 1, FirstRun, FirstRun);

        Assert.Contains("stolen_card", Assert.IsType<RetryDecision.GiveUp>(decision).Reason);
    }

    [Fact]
    public void Decide_SoftDecline_GivesUpOnceTheRetriesAreUsed()
    {
        var policy = Policy(maxRetries: 3, afterDays: 2);
        var attempts = new List<RetryDecision>();
        var day = FirstRun;
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var decision = policy.Decide(InsufficientFunds, PaymentRail.Card, attempt, FirstRun, day);
            attempts.Add(decision);
            if (decision is RetryDecision.RetryOn next)
            {
                day = next.Date;
            }
        }

        Assert.Equal(3, attempts.Count(d => d is RetryDecision.RetryOn));
        Assert.IsType<RetryDecision.GiveUp>(attempts[^1]);
        Assert.Equal(new LocalDate(2025, 3, 7), day);
    }

    [Fact]
    public void Decide_ZeroRetriesConfigured_GivesUpOnTheFirstSoftDecline()
    {
        Assert.IsType<RetryDecision.GiveUp>(Policy(maxRetries: 0).Decide(InsufficientFunds, PaymentRail.Card, 1, FirstRun, FirstRun));
    }

    [Fact]
    public void Decide_AchInsufficientFunds_IsRepresentedAtMostTwiceWhateverTheSetting()
    {
        var r01 = AchReturnCodes.ToDecline("R01");
        var policy = Policy(maxRetries: 10);

        Assert.IsType<RetryDecision.RetryOn>(policy.Decide(r01, PaymentRail.Ach, 1, FirstRun, FirstRun));
        Assert.IsType<RetryDecision.RetryOn>(policy.Decide(r01, PaymentRail.Ach, 2, FirstRun, FirstRun.PlusDays(2)));
        Assert.IsType<RetryDecision.GiveUp>(policy.Decide(r01, PaymentRail.Ach, 3, FirstRun, FirstRun.PlusDays(4)));
    }

    [Fact]
    public void Decide_AchRetryBeyond180Days_GivesUp()
    {
        var decision = Policy(afterDays: 5).Decide(AchReturnCodes.ToDecline("R09"), PaymentRail.Ach, 2, FirstRun, FirstRun.PlusDays(177));

        Assert.Contains("180", Assert.IsType<RetryDecision.GiveUp>(decision).Reason);
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(16, 2)]
    [InlineData(3, 0)]
    [InlineData(3, 31)]
    public void Policy_OutsideNetworkLimits_IsRefused(int maxRetries, int afterDays)
    {
        var options = new DeclineOptions { MaxSoftDeclineRetries = maxRetries, RetryAfterDays = afterDays };

        Assert.NotEmpty(options.Validate());
        Assert.Throws<ArgumentException>(() => new DeclinePolicy(options));
    }

    [Theory]
    [InlineData("R01", DeclineKind.Soft)]
    [InlineData("r09", DeclineKind.Soft)]
    [InlineData("R02", DeclineKind.Hard)]
    [InlineData("R03", DeclineKind.Hard)]
    [InlineData("R04", DeclineKind.Hard)]
    [InlineData("R07", DeclineKind.Hard)]
    [InlineData("R10", DeclineKind.Hard)]
    [InlineData("R99", DeclineKind.Hard)]
    public void AchReturn_OnlyInsufficientOrUncollectedFunds_AreSoft(string code, DeclineKind expected)
    {
        Assert.Equal(expected, AchReturnCodes.Classify(code));
        Assert.Equal(expected, AchReturnCodes.ToDecline(code).Kind);
    }
}
