using NodaTime;
using PayConnect.Connect;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

public class SandboxPaymentGatewayTests
{
    private const string RunKey = "firm-1/sched-1/2025-03-01";
    private readonly SandboxPaymentGateway gateway = new();

    [Fact]
    public async Task Charge_ApproveToken_IsApprovedAndRecorded()
    {
        var request = Request(SandboxPaymentGateway.Approve);

        var result = await gateway.ChargeAsync(request, CancellationToken.None);

        var approved = Assert.IsType<ChargeApproved>(result);
        Assert.Equal(request.Amount, approved.Amount);
        Assert.False(approved.SettlementPending);
        var charge = Assert.Single(gateway.Charges);
        Assert.Equal((approved.ChargeId, RunKey, request.Amount, "bank-1"), (charge.ChargeId, charge.RunKey, charge.Amount, charge.DestinationBankAccountId));
    }

    [Fact]
    public async Task Charge_AchApproveToken_IsApprovedWithSettlementPending()
    {
        var result = await gateway.ChargeAsync(Request(SandboxPaymentGateway.AchApprove), CancellationToken.None);

        Assert.True(Assert.IsType<ChargeApproved>(result).SettlementPending);
    }

    [Theory]
    [InlineData(SandboxPaymentGateway.InsufficientFunds, "insufficient_funds", DeclineKind.Soft)]
    [InlineData(SandboxPaymentGateway.ProcessingError, "processing_error", DeclineKind.Soft)]
    [InlineData(SandboxPaymentGateway.AchInsufficientFunds, "R01", DeclineKind.Soft)]
    [InlineData(SandboxPaymentGateway.StolenCard, "stolen_card", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.LostCard, "lost_card", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.ExpiredCard, "expired_card", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.AuthenticationRequired, "authentication_required", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.AchAccountClosed, "R02", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.AchVerificationPending, "ach_verification_pending", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.OfflinePinRequired, "offline_pin_required", DeclineKind.Hard)]
    [InlineData(SandboxPaymentGateway.DeclineRateLimited, "card_decline_rate_limit_exceeded", DeclineKind.Soft)]
    [InlineData("pm_not_a_sandbox_token", "sandbox_unknown_token", DeclineKind.Hard)]
    public async Task Charge_DeclineToken_DeclinesAsDocumentedAndChargesNothing(string token, string code, DeclineKind kind)
    {
        var result = await gateway.ChargeAsync(Request(token), CancellationToken.None);

        var declined = Assert.IsType<ChargeDeclined>(result);
        Assert.Equal((code, kind), (declined.Code, declined.Kind));
        Assert.Empty(gateway.Charges);
    }

    [Fact]
    public async Task Charge_TokenWithSuffix_BehavesLikeItsPrefix()
    {
        Assert.IsType<ChargeApproved>(await gateway.ChargeAsync(Request("pm_sandbox_approve.payer-42"), CancellationToken.None));
        Assert.Equal(DeclineKind.Hard, Assert.IsType<ChargeDeclined>(await gateway.ChargeAsync(Request("pm_sandbox_stolen_card.x", key: "k2"), CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task Charge_SameKeyTwice_ReplaysTheFirstApprovalWithoutChargingAgain()
    {
        var first = await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve), CancellationToken.None);
        var second = await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve), CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Single(gateway.Charges);
    }

    [Fact]
    public async Task Charge_SameKeyAfterADecline_ReplaysTheDecline()
    {
        var first = await gateway.ChargeAsync(Request(SandboxPaymentGateway.InsufficientFunds), CancellationToken.None);
        var second = await gateway.ChargeAsync(Request(SandboxPaymentGateway.InsufficientFunds), CancellationToken.None);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Charge_DifferentKeys_AreDifferentCharges()
    {
        var one = await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve, key: "a"), CancellationToken.None);
        var two = await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve, key: "b"), CancellationToken.None);

        Assert.NotEqual(Assert.IsType<ChargeApproved>(one).ChargeId, Assert.IsType<ChargeApproved>(two).ChargeId);
        Assert.Equal(2, gateway.Charges.Count);
    }

    [Theory]
    [InlineData(999, SandboxPaymentGateway.Approve)]
    [InlineData(1_000, SandboxPaymentGateway.InsufficientFunds)]
    public async Task Charge_SameKeyWithOtherAmountOrToken_IsRefused(long amount, string token)
    {
        await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve, amount: 1_000), CancellationToken.None);

        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => gateway.ChargeAsync(Request(token, amount: amount), CancellationToken.None));
        Assert.Single(gateway.Charges);
    }

    [Fact]
    public async Task Charge_TimeoutAfterCharge_ThrowsThenTheRetryReturnsTheSameChargeAndOnlyOneWasMade()
    {
        var request = Request(SandboxPaymentGateway.TimeoutAfterCharge);

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(request, CancellationToken.None));
        var recorded = Assert.Single(gateway.Charges);
        var retried = await gateway.ChargeAsync(request, CancellationToken.None);
        var again = await gateway.ChargeAsync(request, CancellationToken.None);

        Assert.Equal(recorded.ChargeId, Assert.IsType<ChargeApproved>(retried).ChargeId);
        Assert.Equal(retried, again);
        Assert.Single(gateway.Charges);
    }

    [Fact]
    public async Task Charge_Unavailable_ThrowsEveryTimeAndChargesNothing()
    {
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(Request(SandboxPaymentGateway.Unavailable), CancellationToken.None));
        }

        Assert.Empty(gateway.Charges);
    }

    [Fact]
    public async Task Charge_ConcurrentCallsWithOneKey_MakeExactlyOneCharge()
    {
        var request = Request(SandboxPaymentGateway.Approve);
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await gateway.ChargeAsync(request, CancellationToken.None);
        })).ToArray();

        start.Set();
        var results = await Task.WhenAll(calls);

        Assert.Single(results.Distinct());
        Assert.Single(gateway.Charges);
        Assert.Equal(32, gateway.CallCount);
    }

    [Fact]
    public async Task Charge_ConcurrentTimeoutAfterCharge_StillMakesExactlyOneCharge()
    {
        var request = Request(SandboxPaymentGateway.TimeoutAfterCharge);
        var calls = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            try
            {
                return await gateway.ChargeAsync(request, CancellationToken.None);
            }
            catch (GatewayUnavailableException)
            {
                return null;
            }
        })).ToArray();

        var results = await Task.WhenAll(calls);

        Assert.Single(results, r => r is null);
        Assert.Single(results.OfType<ChargeApproved>().Distinct());
        Assert.Single(gateway.Charges);
    }

    [Fact]
    public async Task Charge_RoutesEachDepositAccountToItsConnectedAccount_AndTrustReceivesTheWholeAmount()
    {
        var routed = new SandboxPaymentGateway(fees: new PlatformFeeSchedule(250));
        var operating = new DepositAccount("bank-op", BankAccountKind.Operating, "acct_1Operating");
        var trust = new DepositAccount("bank-trust", BankAccountKind.Trust, "acct_1Trust");

        await routed.ChargeAsync(Request(SandboxPaymentGateway.Approve, key: "op", amount: 10_000, deposit: operating), CancellationToken.None);
        await routed.ChargeAsync(Request(SandboxPaymentGateway.Approve, key: "trust", amount: 40_000, deposit: trust), CancellationToken.None);

        Assert.Equal(new Money(9_750, "USD"), routed.BalanceOf("acct_1Operating", "USD"));
        Assert.Equal(new Money(40_000, "USD"), routed.BalanceOf("acct_1Trust", "USD"));
        var trustCharge = Assert.Single(routed.Charges, c => c.DepositKind == BankAccountKind.Trust);
        Assert.Equal(new Money(0, "USD"), trustCharge.ApplicationFee);
        // The platform keeps the operating fee and pays the processing fees of both charges (3 % in the sandbox).
        Assert.Equal(new Money(250 - 300 - 1_200, "USD"), routed.PlatformBalance("USD"));
    }

    [Fact]
    public async Task Charge_IntoABankAccountWithoutConnectedAccount_SettlesIntoItsStandIn()
    {
        await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve, deposit: new DepositAccount("bank-9", BankAccountKind.Trust, null)), CancellationToken.None);

        Assert.Equal(new Money(1_000, "USD"), gateway.BalanceOf(SandboxPaymentGateway.StandInAccountId("bank-9"), "USD"));
    }

    [Fact]
    public async Task Charge_AchRecordsRailMandateAndPendingSettlement()
    {
        var result = await gateway.ChargeAsync(
            Request(SandboxPaymentGateway.AchApprove, rail: PaymentRail.Ach, mandate: "mandate_1Abc"), CancellationToken.None);

        var charge = Assert.Single(gateway.Charges);
        Assert.Equal((PaymentRail.Ach, "mandate_1Abc", true), (charge.Rail, charge.MandateId, charge.SettlementPending));
        Assert.Equal(charge.ChargeId, Assert.IsType<ChargeApproved>(result).ChargeId);
    }

    [Fact]
    public async Task RunKeyOfCharge_NamesTheRunOfEachChargeItMade_AndNothingForOthers()
    {
        var charged = Assert.IsType<ChargeApproved>(await gateway.ChargeAsync(Request(SandboxPaymentGateway.Approve), CancellationToken.None));

        Assert.Equal(RunKey, await gateway.RunKeyOfChargeAsync(charged.ChargeId, CancellationToken.None));
        Assert.Null(await gateway.RunKeyOfChargeAsync("pi_sandbox_unknown", CancellationToken.None));
    }

    [Fact]
    public async Task FindCharge_FindsTheChargeMadeUnderTheKeyWithItsSettlementState()
    {
        var request = Request(SandboxPaymentGateway.AchApprove, rail: PaymentRail.Ach, mandate: "mandate_1Abc");
        var charged = await gateway.ChargeAsync(request, CancellationToken.None);

        var found = await gateway.FindChargeAsync(new ChargeLookup(request.IdempotencyKey, request.PaymentMethodToken, Instant.FromUnixTimeSeconds(0)), CancellationToken.None);

        Assert.Equal(charged, found);
    }

    private static ChargeRequest Request(
        string token,
        string key = "autopay/run-1/attempt-1",
        long amount = 1_000,
        DepositAccount? deposit = null,
        PaymentRail rail = PaymentRail.Card,
        string? mandate = null) =>
        new(key, RunKey, token, new Money(amount, "USD"), deposit ?? new DepositAccount("bank-1", BankAccountKind.Operating, "acct_1BankOne"), rail, mandate, "A/R message");
}
