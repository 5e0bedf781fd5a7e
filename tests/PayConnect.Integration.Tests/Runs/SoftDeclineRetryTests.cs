using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>Retries of soft-declined runs travel the same path as first attempts: retry index, fan-out, queue, drain.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class SoftDeclineRetryTests(Emulators emulators) : RunTestBase(emulators)
{
    [Fact]
    public async Task SoftDecline_IsRetriedOnItsDayThroughFanOutAndDrain_AndChargesOnceWhenTheCardIsFixed()
    {
        await SetTokenAsync(SandboxPaymentGateway.InsufficientFunds);
        var id = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-200"));
        await Processor().HandleAsync(Message(new RunKey(Firm, id, RunDate).Format(), 1), default);
        var declined = (await Store.GetAsync<RunRecord>(Firm, RunRecord.KeyOf(id, RunDate), default))!.Value;

        await SetTokenAsync(SandboxPaymentGateway.Approve);
        var early = await Host.Get<PayConnect.Scheduling.FanOut>().RunAsync("tick-early", default);
        Host.Clock.Advance(Duration.FromDays(3));
        await Host.Function<FanOutFunction>().Run(new TimerInfo(), default);
        await Host.Function<RunDrainFunction>().Run(new TimerInfo(), default);

        var run = (await Store.GetAsync<RunRecord>(Firm, RunRecord.KeyOf(id, RunDate), default))!.Value;
        Assert.Equal(RunState.AwaitingRetry, declined.State);
        Assert.NotNull(declined.RetryOn);
        Assert.Equal(0, early.RunsSent);
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(2, run.Attempt);
        var charge = Assert.Single(Sandbox.Charges);
        Assert.Equal(45000, charge.Amount.Minor);
        Assert.Equal(ChargeIdempotencyKeyFor(run), charge.IdempotencyKey);
    }

    [Fact]
    public async Task DueRetry_TwoConcurrentFanOuts_SendItOnce()
    {
        var entry = new RunRetryEntry(Firm, new RunKey(Firm, "sch_retry", RunDate).Format(), 2, Host.Clock.GetCurrentInstant() - Duration.FromMinutes(1));
        await Host.Get<RunRetries>().ScheduleAsync(entry, default);

        var results = await Task.WhenAll(Host.Get<PayConnect.Scheduling.FanOut>().RunAsync("a", default), Host.Get<PayConnect.Scheduling.FanOut>().RunAsync("b", default));
        var later = await Host.Get<PayConnect.Scheduling.FanOut>().RunAsync("c", default);

        Assert.Equal(1, results.Sum(r => r.RunsSent));
        Assert.Equal(0, later.RunsSent);
        await using var client = new ServiceBusClient(Emulators.ServiceBusConnectionString);
        await using var receiver = client.CreateReceiver(Host.Get<QueueNames>().Runs);
        var message = await receiver.ReceiveMessageAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(entry.MessageId, message.MessageId);
    }

    private static string ChargeIdempotencyKeyFor(RunRecord run) => Payments.ChargeIdempotencyKey.For(run.RunKey, run.Attempt);
}
