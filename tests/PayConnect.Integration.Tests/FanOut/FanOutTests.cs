using System.Text.Json;
using Azure.Messaging.ServiceBus;
using NodaTime;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Integration.Tests.Api;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Scheduling;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>The timer fan-out against Azurite and the local broker: each due run sent once, catch-up after downtime.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class FanOutTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    private static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];

    [Fact]
    public async Task FanOut_AfterThreeDaysDown_SendsEachMissedRunOnceWithItsOriginalDate_AndASecondTickSendsNothing()
    {
        SetFirmTime(2026, 3, 1, 9);
        var twice = await CreateScheduleAsync(new { kind = "TwiceMonthly", day1 = 2, day2 = 3 }, "2026-03-02");
        var weekly = await CreateScheduleAsync(new { kind = "Weekly" }, "2026-03-04");
        var later = await CreateScheduleAsync(new { kind = "Monthly" }, "2026-03-20");
        Assert.Equal(0, (await TickAsync()).RunsSent);

        SetFirmTime(2026, 3, 5, 9);
        await Host.Function<FanOutFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        var second = await TickAsync();

        var received = await ReceiveAllAsync();
        Assert.Equal(
            [$"{FirmA}/{twice}/2026-03-02", $"{FirmA}/{twice}/2026-03-03", $"{FirmA}/{weekly}/2026-03-04"],
            received.Order(StringComparer.Ordinal));
        Assert.Equal(0, second.RunsSent);
        Assert.DoesNotContain(received, r => r.Contains(later, StringComparison.Ordinal));
        var schedule = Ok(await Client.Get($"/api/firms/{FirmA}/schedules/{twice}"), 200).Json!;
        Assert.Equal("2026-03-03", schedule["lastScheduledRunDate"]!.GetValue<string>());
        Assert.Equal("2026-04-02", schedule["nextRunDate"]!.GetValue<string>());
    }

    [Fact]
    public async Task FanOut_TwoConcurrentInvocationsAtTheSameInstant_SendNoRunTwice()
    {
        SetFirmTime(2026, 3, 1, 9);
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await CreateScheduleAsync(new { kind = "Weekly" }, "2026-03-02"));
        }

        SetFirmTime(2026, 3, 3, 9);
        var fanOut = Host.Get<PayConnect.Scheduling.FanOut>();
        var results = await Task.WhenAll(fanOut.RunAsync("tick-a", CancellationToken.None), fanOut.RunAsync("tick-b", CancellationToken.None));

        // Counted at the sender: state (claims and cursors), not the broker's duplicate detection, kept them apart.
        Assert.Equal(12, results.Sum(r => r.RunsSent));
        var received = await ReceiveAllAsync();
        Assert.Equal(ids.Select(id => $"{FirmA}/{id}/2026-03-02").Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FanOut_UsesEachFirmsOwnToday()
    {
        SetFirmTime(2026, 3, 1, 9);
        var chicagoSchedule = await CreateScheduleAsync(new { kind = "Monthly" }, "2026-03-02");

        // 2026-03-02 02:00 UTC is still March 1 in Chicago: nothing is due there yet.
        Host.Clock.Reset(Instant.FromUtc(2026, 3, 2, 2, 0));
        var early = await TickAsync();
        Host.Clock.Reset(Instant.FromUtc(2026, 3, 2, 7, 0));
        var onTime = await TickAsync();

        Assert.Equal(0, early.RunsSent);
        Assert.Equal(1, onTime.RunsSent);
        Assert.Equal([$"{FirmA}/{chicagoSchedule}/2026-03-02"], await ReceiveAllAsync());
    }

    [Fact]
    public async Task FanOut_PausedSchedule_SendsNothing_AndResumeDoesNotInventThePausedRuns()
    {
        SetFirmTime(2026, 3, 1, 9);
        var weekly = await CreateScheduleAsync(new { kind = "Weekly" }, "2026-03-02");
        Ok(await Client.Post($"/api/firms/{FirmA}/schedules/{weekly}/pause", null), 200);

        SetFirmTime(2026, 3, 20, 9);
        var whilePaused = await TickAsync();
        Ok(await Client.Post($"/api/firms/{FirmA}/schedules/{weekly}/resume", null), 200);
        SetFirmTime(2026, 3, 23, 9);
        var afterResume = await TickAsync();

        Assert.Equal(0, whilePaused.RunsSent);
        Assert.Equal([$"{FirmA}/{weekly}/2026-03-23"], await ReceiveAllAsync());
        Assert.Equal(1, afterResume.RunsSent);
    }

    [Fact]
    public async Task FanOut_ReadsEntitiesInProportionToRunsDue_NotSchedulesStored()
    {
        SetFirmTime(2026, 3, 1, 9);
        for (var i = 0; i < 20; i++)
        {
            await CreateScheduleAsync(new { kind = "Monthly" }, "2026-06-15");
        }

        await CreateScheduleAsync(new { kind = "Monthly" }, "2026-03-02");
        SetFirmTime(2026, 3, 2, 9);

        var result = await TickAsync();

        Assert.Equal(1, result.RunsSent);
        Assert.True(result.EntitiesRead < 12, $"read {result.EntitiesRead} entities for one due run among 21 schedules");
    }

    private void SetFirmTime(int year, int month, int day, int hour) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, hour, 0).InZoneLeniently(Chicago).ToInstant());

    private Task<FanOutResult> TickAsync() => Host.Get<PayConnect.Scheduling.FanOut>().RunAsync(Guid.NewGuid().ToString("N"), CancellationToken.None);

    private async Task<List<string>> ReceiveAllAsync()
    {
        await using var client = new ServiceBusClient(Emulators.ServiceBusConnectionString);
        await using var receiver = client.CreateReceiver(Host.Get<QueueNames>().Runs, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        var ids = new List<string>();
        while (await receiver.ReceiveMessagesAsync(100, TimeSpan.FromSeconds(1)) is { Count: > 0 } batch)
        {
            foreach (var message in batch)
            {
                Assert.Equal(message.MessageId, JsonSerializer.Deserialize<JsonElement>(message.Body.ToString()).GetProperty("runKey").GetString());
                ids.Add(message.MessageId);
            }
        }

        return ids;
    }

    private async Task<string> CreateScheduleAsync(object frequency, string firstRunDate) =>
        await CreateAutoPayAsync(_party ??= await CreatePartyAsync(), frequency, firstRunDate, name: "S");

    private AutoPayParty? _party;
}
