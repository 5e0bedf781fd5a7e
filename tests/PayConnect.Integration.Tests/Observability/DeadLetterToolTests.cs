using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using PayConnect.DeadLetters;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Payments;

namespace PayConnect.Integration.Tests.Observability;

/// <summary>
/// The dead-letter tool on-call runs (tools/PayConnect.DeadLetters), against the local broker through its command
/// line: a run whose delivery kept failing after the gateway charged is dead-lettered; list and show find it by run
/// key and reason; resubmitting sends it back under a new message id and the engine finishes the run without a
/// second charge; purge removes what names no run.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class DeadLetterToolTests(Emulators emulators)
{
    [Fact]
    public async Task ResubmittingARunThatAlreadyCharged_PostsItWithoutChargingAgain()
    {
        // One delivery only: the first failure dead-letters the message, as ten would in Azure.
        var queue = emulators.AddRunsQueue("dlq-" + Guid.NewGuid().ToString("N")[..10], maxDeliveryCount: 1);
        var gateway = new FailsOnceAfterCharging();
        await using var scenario = await AutoPayScenario.StartAsync(
            emulators,
            settings: s => s[AppSettings.ServiceBusRunsQueue] = queue,
            replace: c => c.AddSingleton<IPaymentGateway>(sp => gateway.Around(sp.GetRequiredService<SandboxPaymentGateway>())));
        await scenario.IngestClientAsync("C-800");
        scenario.SetFirmTime(2026, 3, 1);
        var schedule = await scenario.AutoPayAsync(await scenario.PartyAsync("C-800", SandboxPaymentGateway.Approve + ".dlq"), "2026-03-02");
        var runKey = AutoPayScenario.RunKey(schedule, "2026-03-02");

        scenario.SetFirmTime(2026, 3, 2);
        await scenario.SettleAsync();

        // Charged at the gateway, but the run never recorded it: its message is dead-lettered.
        var charge = Assert.Single(scenario.Charges());
        Assert.Equal("Allocated", (await scenario.RunAsync(schedule, "2026-03-02"))["state"]!.GetValue<string>());
        Assert.Equal(1, emulators.Broker.GetMessageCounts(queue).DeadLetterMessageCount);

        var list = await ToolAsync("list", "--queue", queue);
        Assert.Equal(0, list.Exit);
        Assert.Contains(runKey, list.Output, StringComparison.Ordinal);
        Assert.Contains("MaxDeliveryCountExceeded", list.Output, StringComparison.Ordinal);
        var sequenceNumber = (await new DeadLetterQueue(scenario.Host.Get<ServiceBusClient>(), queue).ListAsync(10, CancellationToken.None)).Single().SequenceNumber;

        var show = await ToolAsync("show", sequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), "--queue", queue);
        Assert.Equal(0, show.Exit);
        Assert.Contains($"Run key:         {runKey}", show.Output, StringComparison.Ordinal);
        Assert.Contains("\"runKey\"", show.Output, StringComparison.Ordinal);

        var resubmit = await ToolAsync("resubmit", sequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), "--queue", queue);
        Assert.Equal(0, resubmit.Exit);
        Assert.Contains($"run {runKey} as message {runKey}#resubmit-", resubmit.Output, StringComparison.Ordinal);
        Assert.Equal(0, emulators.Broker.GetMessageCounts(queue).DeadLetterMessageCount);

        await scenario.SettleAsync();

        var run = await scenario.RunAsync(schedule, "2026-03-02");
        Assert.Equal("Posted", run["state"]!.GetValue<string>());
        Assert.Equal(charge.ChargeId, run["chargeId"]!.GetValue<string>());
        Assert.Equal(charge.ChargeId, Assert.Single(scenario.Charges()).ChargeId);

        // Resubmitting it again (a second copy, or a stale one) changes nothing either.
        await using (var sender = scenario.Host.Get<ServiceBusClient>().CreateSender(queue))
        {
            await sender.SendMessageAsync(new ServiceBusMessage(BinaryData.FromString($"{{\"runKey\":\"{runKey}\"}}")) { MessageId = runKey + "#resubmit-again" });
        }

        await scenario.SettleAsync();
        Assert.Single(scenario.Charges());
        Assert.Equal("Posted", (await scenario.RunAsync(schedule, "2026-03-02"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task MessageThatNamesNoRun_IsNotResubmitted_ButCanBePurged()
    {
        var queue = emulators.AddRunsQueue("dlq-" + Guid.NewGuid().ToString("N")[..10]);
        await using var scenario = await AutoPayScenario.StartAsync(emulators, settings: s => s[AppSettings.ServiceBusRunsQueue] = queue);
        await using (var sender = scenario.Host.Get<ServiceBusClient>().CreateSender(queue))
        {
            await sender.SendMessageAsync(new ServiceBusMessage(BinaryData.FromString("{\"runKey\":\"no such run\"}")) { MessageId = "garbage-2" });
        }

        await scenario.SettleAsync();
        Assert.Equal(1, emulators.Broker.GetMessageCounts(queue).DeadLetterMessageCount);

        var list = await ToolAsync("list", "--queue", queue);
        Assert.Contains("MalformedRunKey", list.Output, StringComparison.Ordinal);
        Assert.Contains("(not a run) garbage-2", list.Output, StringComparison.Ordinal);

        var resubmit = await ToolAsync("resubmit", "--all", "--queue", queue);
        Assert.Equal(1, resubmit.Exit);
        Assert.Contains("names no run", resubmit.Error, StringComparison.Ordinal);
        Assert.Equal(1, emulators.Broker.GetMessageCounts(queue).DeadLetterMessageCount);

        var refused = await ToolAsync("purge", "--all", "--queue", queue);
        Assert.Equal(2, refused.Exit);
        Assert.Equal(1, emulators.Broker.GetMessageCounts(queue).DeadLetterMessageCount);

        var purge = await ToolAsync("purge", "--all", "--yes", "--queue", queue);
        Assert.Equal(0, purge.Exit);
        Assert.Contains("garbage-2", purge.Output, StringComparison.Ordinal);
        Assert.Equal(0, emulators.Broker.GetMessageCounts(queue).DeadLetterMessageCount);
        Assert.Equal(0, emulators.Broker.GetMessageCounts(queue).ActiveMessageCount);
    }

    [Fact]
    public async Task WithoutABrokerToTalkTo_SaysHowToNameOne()
    {
        var result = await ToolAsync(false, "list");

        Assert.Equal(2, result.Exit);
        Assert.Contains("--connection-string", result.Error, StringComparison.Ordinal);
    }

    private Task<(int Exit, string Output, string Error)> ToolAsync(params string[] args) => ToolAsync(true, args);

    private async Task<(int Exit, string Output, string Error)> ToolAsync(bool withBroker, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await DeadLetterCommand.RunAsync(
            withBroker ? [.. args, "--connection-string", emulators.ServiceBusConnectionString] : args, output, error, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A gateway whose first charge goes through and then fails the delivery, as a crash right after charging would.</summary>
    private sealed class FailsOnceAfterCharging
    {
        private int _calls;

        public IPaymentGateway Around(IPaymentGateway inner) => new Gateway(this, inner);

        private sealed class Gateway(FailsOnceAfterCharging owner, IPaymentGateway inner) : IPaymentGateway
        {
            public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
            {
                var result = await inner.ChargeAsync(request, cancellationToken);
                return Interlocked.Increment(ref owner._calls) == 1 ? throw new InvalidOperationException("The worker died after charging (injected).") : result;
            }

            public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) => inner.FindChargeAsync(lookup, cancellationToken);

            public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

            public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

            public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
        }
    }
}
