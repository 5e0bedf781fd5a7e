using NodaTime;
using PayConnect.Connect;
using PayConnect.Payments;
using PayConnect.Reversals;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Payments;

/// <summary>
/// The pure rules money after the charge follows: which ACH returns are presented again (NACHA), where a card surcharge
/// may be charged, how money going back splits over a run's invoices, and how a run takes events that arrive out of order.
/// </summary>
public class GatewayEventsRulesTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 2, 15, 0);
    private static readonly LocalDate Settled = new(2026, 3, 4);
    private static readonly DeclinePolicy Policy = new(new DeclineOptions { MaxSoftDeclineRetries = 3, RetryAfterDays = 2 });

    [Theory]
    [InlineData("R01")]
    [InlineData("R09")]
    public void AchReturn_R01OrR09_IsPresentedAgainTwiceAtMost(string code)
    {
        var first = Assert.IsType<RetryDecision.RetryOn>(Policy.DecideReturn(code, 0, Settled, Settled.PlusDays(3)));
        var second = Assert.IsType<RetryDecision.RetryOn>(Policy.DecideReturn(code, 1, Settled, Settled.PlusDays(10)));
        var third = Policy.DecideReturn(code, 2, Settled, Settled.PlusDays(20));

        Assert.Equal(Settled.PlusDays(5), first.Date);
        Assert.Equal(Settled.PlusDays(12), second.Date);
        Assert.IsType<RetryDecision.GiveUp>(third);
    }

    [Theory]
    [InlineData("R02")]
    [InlineData("R03")]
    [InlineData("R05")]
    [InlineData("R07")]
    [InlineData("R10")]
    [InlineData("R16")]
    [InlineData("R29")]
    [InlineData("R85")]
    public void AchReturn_AnyOtherCode_IsNeverPresentedAgain(string code)
    {
        Assert.IsType<RetryDecision.GiveUp>(Policy.DecideReturn(code, 0, Settled, Settled.PlusDays(3)));
    }

    [Fact]
    public void AchReturn_R01_IsNotPresentedAgainBeyond180DaysOfTheOriginalSettlement()
    {
        Assert.IsType<RetryDecision.RetryOn>(Policy.DecideReturn("R01", 0, Settled, Settled.PlusDays(178)));
        Assert.IsType<RetryDecision.GiveUp>(Policy.DecideReturn("R01", 0, Settled, Settled.PlusDays(179)));
    }

    [Fact]
    public void AchReturn_NeverPresentedAgainMoreOftenThanTheFirmAllowsSoftRetries()
    {
        var strict = new DeclinePolicy(new DeclineOptions { MaxSoftDeclineRetries = 1, RetryAfterDays = 2 });

        Assert.IsType<RetryDecision.RetryOn>(strict.DecideReturn("R01", 0, Settled, Settled.PlusDays(3)));
        Assert.IsType<RetryDecision.GiveUp>(strict.DecideReturn("R01", 1, Settled, Settled.PlusDays(9)));
    }

    [Theory]
    [InlineData(PaymentMethodKind.Card, CardFunding.Credit, BankAccountKind.Operating, "US-IL", 300)]
    [InlineData(PaymentMethodKind.Card, CardFunding.Credit, BankAccountKind.Trust, "US-IL", 0)]
    [InlineData(PaymentMethodKind.Card, CardFunding.Debit, BankAccountKind.Operating, "US-IL", 0)]
    [InlineData(PaymentMethodKind.Card, CardFunding.Prepaid, BankAccountKind.Operating, "US-IL", 0)]
    [InlineData(PaymentMethodKind.Card, CardFunding.Unknown, BankAccountKind.Operating, "US-IL", 0)]
    [InlineData(PaymentMethodKind.Ach, null, BankAccountKind.Operating, "US-IL", 0)]
    [InlineData(PaymentMethodKind.Card, CardFunding.Credit, BankAccountKind.Operating, "US-CT", 0)]
    [InlineData(PaymentMethodKind.Card, CardFunding.Credit, BankAccountKind.Operating, null, 0)]
    public void Surcharge_OnlyOnCreditCardsIntoOperating_NeverOnTrust_NorInAnExcludedOrUnknownJurisdiction(
        PaymentMethodKind method, CardFunding? funding, BankAccountKind deposit, string? jurisdiction, int expected)
    {
        var firm = new SurchargeSettings(300, ["US-CT", "US-MA"]);

        var decision = Surcharges.Decide(firm, method, funding, deposit, jurisdiction);

        Assert.Equal(expected, decision.BasisPoints);
        Assert.Equal(expected == 0, decision.WhyNot is not null);
    }

    [Fact]
    public void Surcharge_NeverExceedsThreePercent_AndRoundsDown()
    {
        Assert.Equal(300, Surcharges.Decide(new SurchargeSettings(450, []), PaymentMethodKind.Card, CardFunding.Credit, BankAccountKind.Operating, null).BasisPoints);
        Assert.Equal(4500, Surcharges.On(150025, 300));
        Assert.Equal(4500, Surcharges.On(150025, 1000));
        Assert.Equal(0, Surcharges.On(150025, 0));
    }

    [Fact]
    public void PartialReversal_TakesTheNewestInvoiceFirst_AndItsShareOfTheSurcharge()
    {
        var run = Posted(surchargeBasisPoints: 300);
        Assert.Equal(150025 + 4500, run.AmountMinor);

        var parts = ReversalSplit.OfTotal(run, 40000)!;

        // 40000 of 154525 charged: 1164 is the surcharge's share (rounded down); the rest newest invoice first.
        Assert.Equal([("", 1164L), ("INV-1002", 30025L), ("INV-1001", 8811L)], parts);
        Assert.Equal(40000, parts.Sum(p => p.Amount));
    }

    [Fact]
    public void Reversal_NeverGoesBackBeyondWhatRemains()
    {
        var run = Posted();
        var refunded = run.RefundRecorded(new RunRefund("k1", 150000, RefundStatus.Requested, Now) { Lines = ReversalSplit.Lines(run, "refund:k1", ReversalSplit.OfTotal(run, 150000)!) }, Now);

        Assert.Equal(25, refunded.ChargeRemaining);
        Assert.Null(ReversalSplit.OfTotal(refunded, 26));
        Assert.Equal([("INV-1001", 25L)], ReversalSplit.OfTotal(refunded, 25));
        var (_, errors) = ReversalSplit.OfInvoices(refunded, [("INV-1002", 1), ("INV-9999", 1)]);
        Assert.Equal(2, errors.Count);
    }

    [Fact]
    public void RefundStates_NeverGoBack_AndTheRefundReversesOnlyOnce()
    {
        var run = Posted().RefundRecorded(new RunRefund("k1", 100, RefundStatus.Requested, Now), Now);

        var (succeeded, reversedNow) = run.RefundMoved("k1", "re_1", RefundStatus.Succeeded, Now);
        var (late, reversedAgain) = succeeded.RefundMoved("k1", "re_1", RefundStatus.Pending, Now);
        var (again, reversedThird) = late.RefundMoved("k1", "re_1", RefundStatus.Succeeded, Now);

        Assert.True(reversedNow);
        Assert.False(reversedAgain);
        Assert.False(reversedThird);
        Assert.Equal(RefundStatus.Succeeded, again.Refunds.Single().Status);
    }

    [Fact]
    public void DisputeDecidedBeforeItsOpening_StaysDecided()
    {
        var run = Posted();

        var (lost, lostNow) = run.DisputeMoved(new RunDispute("dp_1", 150025, DisputeStatus.Lost, Now), Now);
        var (afterOpen, lostAgain) = lost.DisputeMoved(new RunDispute("dp_1", 150025, DisputeStatus.Open, Now), Now);
        var (afterWon, _) = lost.DisputeMoved(new RunDispute("dp_1", 150025, DisputeStatus.Won, Now), Now);

        Assert.True(lostNow);
        Assert.False(lostAgain);
        Assert.Same(lost, afterOpen);
        Assert.Same(lost, afterWon);
    }

    [Fact]
    public void AchSettlement_ArrivingAfterTheReturn_ChangesNothing()
    {
        var run = RunRecord.Begin(new RunKey("firm-1", "as_1", new LocalDate(2026, 3, 2)), null, Now)
            .Allocated(Snapshot(PaymentMethodKind.Ach), Lines, new LocalDate(2026, 3, 2), paysOff: true, Now)
            .Charged("pi_1", settlementPending: true, Now).Posted(Now);

        var returned = run.ReturnedBy(new RunReturn("R02", "Account closed", "pi_1", 0, 150025, Now), Now);

        Assert.Same(returned, returned.Settled("pi_1", Now));
        Assert.Equal(RunState.Returned, returned.State);
        Assert.True(returned.IsFinal);
    }

    private static readonly RunLine[] Lines =
    [
        new("INV-1001", "C-100", "M-100-1", 120000, 120000, "PC-1"),
        new("INV-1002", "C-100", "M-100-2", 30025, 30025, "PC-2"),
    ];

    private static RunSnapshot Snapshot(PaymentMethodKind kind = PaymentMethodKind.Card) =>
        new("py_1", "pm_1", "pm_sandbox_approve", kind, "ba_1", "A/R", "USD");

    private static RunRecord Posted(int surchargeBasisPoints = 0) =>
        RunRecord.Begin(new RunKey("firm-1", "as_1", new LocalDate(2026, 3, 2)), null, Now)
            .Allocated(Snapshot(), Lines, new LocalDate(2026, 3, 2), paysOff: true, Now, surchargeBasisPoints)
            .Charged("pi_1", settlementPending: false, Now)
            .Posted(Now);
}
