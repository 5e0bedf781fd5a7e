using PayConnect.Connect;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Integration.Tests.Runs;
using PayConnect.Payments;

namespace PayConnect.Integration.Tests.Routing;

/// <summary>A run charges into its schedule's deposit account: that account's connected account, its kind, the method's rail and mandate.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class RunRoutingTests(Emulators emulators) : RunTestBase(emulators)
{
    private const string TrustAccount = "acct_1SmithJonesTrust";

    [Fact]
    public async Task Run_IntoATrustAccount_PaysTheWholeAmountToTheTrustConnectedAccountWithoutAFee()
    {
        var now = Host.Clock.GetCurrentInstant();
        await Store.UpsertAsync(Firm, new BankAccount(BankAccountId, "IOLTA", BankAccountKind.Trust, "6789", now, TrustAccount), default);
        var gateway = new SandboxPaymentGateway(fees: new PlatformFeeSchedule(300));
        var scheduleId = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-100"));

        await DeliverUntilCompleteAsync(Processor(gateway: gateway), KeyOf(scheduleId));

        var charge = Assert.Single(gateway.Charges);
        Assert.Equal((TrustAccount, BankAccountKind.Trust, 0L), (charge.ConnectedAccountId, charge.DepositKind, charge.ApplicationFee.Minor));
        Assert.Equal(charge.Amount, gateway.BalanceOf(TrustAccount, "USD"));
    }

    [Fact]
    public async Task Run_OnAnAchMethod_ChargesTheAchRailWithTheStoredMandate()
    {
        var now = Host.Clock.GetCurrentInstant();
        await Store.UpsertAsync(Firm, new PaymentMethod(MethodId, PayerId, PaymentMethodKind.Ach, SandboxPaymentGateway.AchApprove, "First Bank", "1111", null, null, now, "mandate_1AcmeBank01"), default);
        var scheduleId = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-100"));

        await DeliverUntilCompleteAsync(Processor(), KeyOf(scheduleId));

        var charge = Assert.Single(Sandbox.Charges);
        Assert.Equal((PaymentRail.Ach, "mandate_1AcmeBank01", true), (charge.Rail, charge.MandateId, charge.SettlementPending));
    }
}
