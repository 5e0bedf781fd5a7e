using NodaTime;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>A charge left unconfirmed past the gateway's memory of its idempotency key is found, not made again.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ForgottenKeyTests(Emulators emulators) : RunTestBase(emulators)
{
    [Fact]
    public async Task UnconfirmedCharge_RetriedAfterTheGatewayForgotItsKey_IsFoundNotChargedTwice()
    {
        await SetTokenAsync(SandboxPaymentGateway.TimeoutAfterCharge);
        var id = await ScheduleAsync(null, AssociationOf(Connect.AssociationLevel.Client, "C-200"));
        var key = new RunKey(Firm, id, RunDate);

        var first = await Processor().HandleAsync(Message(key.Format(), 1), default);
        Host.Clock.Advance(Duration.FromHours(25));
        Sandbox.ForgetIdempotencyKeys();
        var second = await Processor().HandleAsync(Message(key.Format(), 2), default);

        Assert.IsType<MessageOutcome.Reschedule>(first);
        Assert.IsType<MessageOutcome.Complete>(second);
        var charge = Assert.Single(Sandbox.Charges);
        var run = (await Store.GetAsync<RunRecord>(Firm, RunRecord.KeyOf(id, RunDate), default))!.Value;
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(charge.ChargeId, run.ChargeId);
        Assert.Equal(45000, charge.Amount.Minor);
    }
}
