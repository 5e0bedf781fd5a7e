using Microsoft.Azure.Functions.Worker;
using PayConnect.Connect;
using PayConnect.Functions.Notifications;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Notifications;
using PayConnect.Runs;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>The registrations the worker uses (AddPayConnect → AddPayConnectRuns), end to end with the local mail sink.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class RunWiringTests(Emulators emulators) : RunTestBase(emulators)
{
    [Fact]
    public async Task DeclinedRunFromTheContainer_ReachesTheMailSinkOncePerSubscriberThroughTheOutboxFunction()
    {
        await SetTokenAsync(SandboxPaymentGateway.ExpiredCard);
        await SubscribeAsync("oncall@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        await SubscribeAsync("billing@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        var schedule = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-200"));
        var processor = Host.Get<RunProcessor>();
        var function = Host.Function<EmailOutboxFunction>();

        Assert.IsType<MessageOutcome.Complete>(await processor.HandleAsync(Message(KeyOf(schedule)), default));
        await function.Run(new TimerInfo(), default);
        await function.Run(new TimerInfo(), default);

        var folder = Host.Settings[AppSettings.EmailSinkDirectory]!;
        var files = Directory.GetFiles(folder, "*.eml");
        Assert.Equal(2, files.Length);
        var text = string.Join("\n", files.Select(File.ReadAllText));
        Assert.Contains("oncall@smithjones.test", text, StringComparison.Ordinal);
        Assert.Contains("billing@smithjones.test", text, StringComparison.Ordinal);
        Assert.Contains("expired_card", text, StringComparison.Ordinal);
        Assert.Contains("/autopay/schedules/" + schedule + "/runs/2026-03-02", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pm_sandbox", text, StringComparison.Ordinal);
        Assert.All(await OutboxAsync(), e => Assert.Equal(OutboxState.Sent, e.State));
    }
}
