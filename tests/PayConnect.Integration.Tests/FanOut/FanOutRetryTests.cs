using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Integration.Tests.FanOut;

[Collection(EmulatorCollection.Name)]
public sealed class FanOutRetryTests(Emulators emulators)
{
    /// <summary>The real queue, failing its first send the way a Service Bus outage would.</summary>
    private sealed class FailingOnceQueue(ServiceBusClient client, QueueNames queues) : IRunQueue
    {
        private readonly ServiceBusRunQueue _inner = new(client, queues);
        private int _calls;

        public Task SendAsync(IReadOnlyList<RunDispatch> runs, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) == 1
                ? throw new ServiceBusException("broker unreachable", ServiceBusFailureReason.ServiceCommunicationProblem)
                : _inner.SendAsync(runs, cancellationToken);

        public Task SendRetriesAsync(IReadOnlyList<RunRetryEntry> retries, CancellationToken cancellationToken) =>
            _inner.SendRetriesAsync(retries, cancellationToken);
    }

    [Fact]
    public async Task FanOut_RunThatFailsToSend_IsSentOnTheNextTick()
    {
        await using var host = new TestHost(emulators, services: s => s.AddSingleton<IRunQueue, FailingOnceQueue>());
        var client = new Client(host) { FirmId = "firm-r" };
        Assert.Equal(200, (await client.Put("/api/firms/firm-r/settings", new { name = "R", timeZone = "America/New_York" })).Status);
        var store = host.Get<PayConnect.Storage.IRecordStore>();
        var schedule = new PayConnect.Connect.Schedule("as_retry", "py_1", "pm_1", "Retry", "ba_1", null, "Monthly", new LocalDate(2026, 3, 2),
            PayConnect.Connect.AmountRuleKind.PayAllOutstanding, null, "USD", ScheduleState.Active, ["client-x"], host.Clock.GetCurrentInstant(), host.Clock.GetCurrentInstant(),
            Lifetime: ScheduleLifetime.OneYear);
        schedule = schedule.WithNextRun();
        var stored = await store.InsertAsync("firm-r", schedule, CancellationToken.None);
        await host.Get<DueIndex>().IndexAsync("firm-r", stored, "America/New_York", CancellationToken.None);
        host.Clock.Reset(Instant.FromUtc(2026, 3, 2, 15, 0));
        var fanOut = host.Get<PayConnect.Scheduling.FanOut>();

        var failed = await fanOut.RunAsync("tick-1", CancellationToken.None);
        var retried = await fanOut.RunAsync("tick-2", CancellationToken.None);
        var after = await fanOut.RunAsync("tick-3", CancellationToken.None);

        Assert.Equal((0, 1), (failed.RunsSent, failed.Failed));
        Assert.Equal((1, 0), (retried.RunsSent, retried.Failed));
        Assert.Equal(0, after.RunsSent);
        Assert.Equal(1, emulators.Broker.GetMessageCounts(host.Get<QueueNames>().Runs).ActiveMessageCount);
    }
}
