using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using PayConnect.Functions.Health;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Observability;

/// <summary>
/// <c>/api/health</c> reports what piles up — dead-lettered runs, the age of the oldest due run not yet sent, the
/// email outbox — as Degraded with 200 (the dependencies answer; on-call is alerted from the same figures), and
/// still says nothing but figures.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class HealthBacklogTests(Emulators emulators)
{
    [Fact]
    public async Task NothingWaiting_IsHealthy_WithZeroBacklog()
    {
        await using var scenario = await AutoPayScenario.StartAsync(emulators);

        var health = await HealthAsync(scenario);

        Assert.Equal(200, health.Status);
        Assert.Equal("Healthy", health.Json!["status"]!.GetValue<string>());
        Assert.Equal(0, Figure(health, "deadLetterDepth"));
        Assert.Equal(0, Figure(health, "dueLagSeconds"));
        Assert.Equal(0, Figure(health, "outboxPending"));
        Assert.Empty(health.Json!["degraded"]!.AsArray());
    }

    [Fact]
    public async Task DeadLetteredRunMessage_IsDegradedNot503_AndCounted()
    {
        await using var scenario = await AutoPayScenario.StartAsync(emulators);
        await using (var sender = scenario.Host.Get<ServiceBusClient>().CreateSender(scenario.Host.Get<QueueNames>().Runs))
        {
            await sender.SendMessageAsync(new ServiceBusMessage(BinaryData.FromString("{\"runKey\":\"not a run key\"}")) { MessageId = "garbage-1" });
        }

        await scenario.Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
        var health = await HealthAsync(scenario);

        Assert.Equal(200, health.Status);
        Assert.Equal("Degraded", health.Json!["status"]!.GetValue<string>());
        Assert.Equal(1, Figure(health, "deadLetterDepth"));
        Assert.Equal(["deadLetterDepth"], health.Json!["degraded"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.DoesNotContain("garbage", health.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DueRunTheFanOutHasNotSent_CountsItsAgeFromTheStartOfItsDayAtTheFirm_UntilTheFanOutSendsIt()
    {
        await using var scenario = await AutoPayScenario.StartAsync(emulators);
        await scenario.IngestClientAsync("C-400");
        scenario.SetFirmTime(2026, 3, 1);
        var schedule = await scenario.AutoPayAsync(await scenario.PartyAsync("C-400", SandboxPaymentGateway.Approve + ".lag"), "2026-03-02");

        // 09:00 in Chicago on the run date: due since midnight there, nine hours ago.
        scenario.SetFirmTime(2026, 3, 2);
        var lagging = await HealthAsync(scenario);

        Assert.Equal(200, lagging.Status);
        Assert.Equal("Degraded", lagging.Json!["status"]!.GetValue<string>());
        Assert.Equal(9 * 3600, Figure(lagging, "dueLagSeconds"));
        Assert.Equal(["dueLag"], lagging.Json!["degraded"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.DoesNotContain(schedule, lagging.Body, StringComparison.Ordinal);

        await scenario.Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
        var sent = await HealthAsync(scenario);

        Assert.Equal("Healthy", sent.Json!["status"]!.GetValue<string>());
        Assert.Equal(0, Figure(sent, "dueLagSeconds"));
    }

    [Fact]
    public async Task FailureEmailThatCannotBeSent_IsOutboxBacklog_DegradedOnceOlderThanAnHour()
    {
        var deadPort = PayConnect.LocalEmulators.LoopbackPorts.Free();
        await using var scenario = await AutoPayScenario.StartAsync(emulators, settings: s =>
        {
            s[AppSettings.EmailTransport] = "Smtp";
            s[AppSettings.EmailSmtpHost] = "127.0.0.1";
            s[AppSettings.EmailSmtpPort] = deadPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        await scenario.SubscribeAsync("oncall@firm-ops.test");
        await scenario.IngestClientAsync("C-500");
        scenario.SetFirmTime(2026, 3, 1);
        await scenario.AutoPayAsync(await scenario.PartyAsync("C-500", SandboxPaymentGateway.StolenCard + ".outbox"), "2026-03-02");
        scenario.SetFirmTime(2026, 3, 2);
        await scenario.SettleAsync();

        var fresh = await HealthAsync(scenario);
        Assert.Equal(1, Figure(fresh, "outboxPending"));
        Assert.Equal("Healthy", fresh.Json!["status"]!.GetValue<string>());

        scenario.Host.Clock.Advance(Duration.FromMinutes(61));
        var stale = await HealthAsync(scenario);

        Assert.Equal(200, stale.Status);
        Assert.Equal("Degraded", stale.Json!["status"]!.GetValue<string>());
        Assert.Equal(1, Figure(stale, "outboxPending"));
        Assert.True(Figure(stale, "outboxOldestAgeSeconds") >= 61 * 60);
        Assert.Equal(["outboxBacklog"], stale.Json!["degraded"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.DoesNotContain("oncall", stale.Body, StringComparison.Ordinal);
    }

    private static async Task<HttpResponseData> HealthAsync(AutoPayScenario scenario)
    {
        var request = Requests.Create("GET", "/api/health", services: scenario.Host.Services);
        return await Responses.ReadAsync(await scenario.Host.Function<HealthFunction>().Run(request, CancellationToken.None), request);
    }

    private static long Figure(HttpResponseData health, string name) =>
        health.Json!["backlog"]![name] is JsonValue value ? value.GetValue<long>() : throw new Xunit.Sdk.XunitException($"{name} is null: {health.Body}");
}
