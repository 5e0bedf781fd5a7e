using Microsoft.Azure.Functions.Worker;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Api;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>
/// The whole path on the real emulators: API set-up, the FanOut timer onto the local broker, the RunDrain timer
/// charging and posting, and the EmailOutbox timer writing the Error-Failed AutoPay email to the sink.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class PipelineTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    private static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];

    [Fact]
    public async Task DueRun_FlowsFromFanOutThroughTheDrain_ToOneChargeAndPostingsThatAddUp()
    {
        SetFirmTime(2026, 3, 1);
        var scheduleId = await CreateAutoPayAsync("pm_sandbox_approve", new { kind = "UpTo", cap = 1300.00m });

        SetFirmTime(2026, 3, 2);
        await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
        await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);

        var run = Ok(await Client.Get($"/api/firms/{FirmA}/runs/{scheduleId}/2026-03-02"), 200).Json!;
        var postings = Ok(await Client.Get($"/api/firms/{FirmA}/postings?scheduleId={scheduleId}"), 200).Json!["items"]!.AsArray();
        var charges = Host.Get<SandboxPaymentGateway>().Charges;
        Assert.Equal("Posted", run["state"]!.GetValue<string>());
        var charge = Assert.Single(charges);
        Assert.Equal(130000, charge.Amount.Minor);
        Assert.Equal(charge.Amount.Minor, postings.Sum(p => p!["amountMinor"]!.GetValue<long>()));

        // Oldest first: INV-1001 (Jan 5) in full, then the boundary invoice INV-1002 partly.
        var byInvoice = postings.ToDictionary(p => p!["invoiceNumber"]!.GetValue<string>(), p => p!["amountMinor"]!.GetValue<long>());
        Assert.Equal(120000, byInvoice["INV-1001"]);
        Assert.Equal(10000, byInvoice["INV-1002"]);
        Assert.Equal(0, Emulators.Broker.GetMessageCounts(Host.Get<QueueNames>().Runs).ActiveMessageCount);
    }

    [Fact]
    public async Task DeclinedRun_IsFailed_AndTheOutboxTimerEmailsEachSubscriberOnce()
    {
        Ok(await Client.Post($"/api/firms/{FirmA}/notification-subscriptions", new { email = "oncall@firm-a.test" }), 201);
        Ok(await Client.Post($"/api/firms/{FirmA}/notification-subscriptions", new { email = "billing@firm-a.test" }), 201);
        SetFirmTime(2026, 3, 1);
        var scheduleId = await CreateAutoPayAsync("pm_sandbox_stolen_card", new { kind = "PayAllOutstanding" });

        SetFirmTime(2026, 3, 2);
        await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
        await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
        await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
        await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);

        var run = Ok(await Client.Get($"/api/firms/{FirmA}/runs/{scheduleId}/2026-03-02"), 200).Json!;
        Assert.Equal("Failed", run["state"]!.GetValue<string>());
        Assert.Empty(Host.Get<SandboxPaymentGateway>().Charges);
        var sink = Host.Settings[AppSettings.EmailSinkDirectory]!;
        var emails = Directory.GetFiles(sink, "*.eml").Select(File.ReadAllText).ToList();
        Assert.Equal(2, emails.Count);
        Assert.Single(emails, e => e.Contains("oncall@firm-a.test", StringComparison.Ordinal));
        Assert.Single(emails, e => e.Contains("billing@firm-a.test", StringComparison.Ordinal));
        Assert.All(emails, e =>
        {
            Assert.Contains("Error-Failed AutoPay", e, StringComparison.Ordinal);
            Assert.Contains("2026-03-02", e, StringComparison.Ordinal);
            Assert.DoesNotContain("pm_sandbox_stolen_card", e, StringComparison.Ordinal);
        });
    }

    private void SetFirmTime(int year, int month, int day) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, 9, 0).InZoneLeniently(Chicago).ToInstant());

    private async Task<string> CreateAutoPayAsync(string token, object amountRule) =>
        await CreateAutoPayAsync(await CreatePartyAsync(token), new { kind = "Monthly" }, "2026-03-02", amountRule, "Acme monthly", "Auto-Pay");
}
