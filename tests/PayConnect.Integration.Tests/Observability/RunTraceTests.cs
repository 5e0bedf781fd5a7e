using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PayConnect.Infrastructure.Mms;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Mms;
using PayConnect.Observability;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Observability;

/// <summary>
/// Telemetry of a run as an exporter receives it (OpenTelemetry's in-memory exporter standing in for Application
/// Insights): one trace per run from the fan-out's send, through the runs queue, to the drain's delivery, the gateway
/// call and the postings commit; and the engine's metrics for it.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class RunTraceTests(Emulators emulators)
{
    [Fact]
    public async Task ApprovedRun_IsOneTrace_FromTheFanOutThroughTheQueue_ToTheDrainTheGatewayCallAndThePostings()
    {
        var spans = new List<Activity>();
        await using var scenario = await AutoPayScenario.StartAsync(emulators, services: c => c.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(Telemetry.Name).AddInMemoryExporter(spans)));
        var tracing = scenario.Host.Get<TracerProvider>();
        await scenario.IngestClientAsync("C-100");
        var party = await scenario.PartyAsync("C-100", SandboxPaymentGateway.Approve + ".trace");
        scenario.SetFirmTime(2026, 3, 1);
        var schedule = await scenario.AutoPayAsync(party, "2026-03-02");

        scenario.SetFirmTime(2026, 3, 2);
        await scenario.SettleAsync();
        tracing.ForceFlush();

        Assert.Equal("Posted", (await scenario.RunAsync(schedule, "2026-03-02"))["state"]!.GetValue<string>());
        var runKey = AutoPayScenario.RunKey(schedule, "2026-03-02");
        var ofRun = Snapshot(spans).Where(s => Equals(s.GetTagItem(Telemetry.Tags.RunKey), runKey)).ToList();
        var send = Assert.Single(ofRun, s => s.Kind == ActivityKind.Producer);
        Assert.All(ofRun, s => Assert.Equal(send.TraceId, s.TraceId));

        // The fan-out's send begins the run's trace; each step is a child of the one that called it.
        var trace = Snapshot(spans).Where(s => s.TraceId == send.TraceId).ToList();
        Assert.Equal(default, send.ParentSpanId);
        Assert.Equal("send " + scenario.Host.Get<PayConnect.Infrastructure.Messaging.QueueNames>().Runs, send.DisplayName);
        var process = Assert.Single(trace, s => s.Kind == ActivityKind.Consumer);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        var allocate = Assert.Single(trace, s => s.DisplayName == "run allocate");
        Assert.Equal(process.SpanId, allocate.ParentSpanId);
        Assert.Equal("Allocated", allocate.GetTagItem(Telemetry.Tags.RunState));
        var charge = Assert.Single(trace, s => s.DisplayName == "run charge");
        Assert.Equal(process.SpanId, charge.ParentSpanId);
        var gateway = Assert.Single(trace, s => s.DisplayName == "gateway charge");
        Assert.Equal(charge.SpanId, gateway.ParentSpanId);
        Assert.Equal(ActivityKind.Client, gateway.Kind);
        Assert.Equal("approved", gateway.GetTagItem(Telemetry.Tags.Outcome));
        Assert.Equal(AutoPayScenario.Outstanding, gateway.GetTagItem(Telemetry.Tags.AmountMinor));
        var post = Assert.Single(trace, s => s.DisplayName == "run post");
        Assert.Equal(charge.SpanId, post.ParentSpanId);
        Assert.Equal("Posted", post.GetTagItem(Telemetry.Tags.RunState));
        Assert.Equal(2, post.GetTagItem(Telemetry.Tags.Postings));
        Assert.True(send.StartTimeUtc <= process.StartTimeUtc && process.StartTimeUtc <= gateway.StartTimeUtc && gateway.StartTimeUtc <= post.StartTimeUtc);
        Assert.All(trace, s => Assert.NotEqual(ActivityStatusCode.Error, s.Status));
    }

    [Fact]
    public async Task RunSentAgainLaterWhileTheMmsIsDown_StaysInItsOneTrace_EachDeliveryUnderThePreviousOne()
    {
        var spans = new List<Activity>();
        var mms = new DownFor(calls: 2);
        await using var scenario = await AutoPayScenario.StartAsync(
            emulators,
            settings: s => s["Runs__MmsRetryDelays"] = "00:00:01,00:00:01,00:00:01",
            services: c =>
            {
                c.AddOpenTelemetry().WithTracing(t => t.AddSource(Telemetry.Name).AddInMemoryExporter(spans));
                c.AddSingleton<IMmsConnector>(sp => mms.Around(ActivatorUtilities.CreateInstance<FirmMmsConnector>(sp)));
            });
        var tracing = scenario.Host.Get<TracerProvider>();
        await scenario.IngestClientAsync("C-200");
        var party = await scenario.PartyAsync("C-200", SandboxPaymentGateway.Approve + ".later");
        scenario.SetFirmTime(2026, 3, 1);
        var schedule = await scenario.AutoPayAsync(party, "2026-03-02");

        scenario.SetFirmTime(2026, 3, 2);
        await scenario.SettleAsync(TimeSpan.FromSeconds(60));
        tracing.ForceFlush();

        Assert.Equal("Posted", (await scenario.RunAsync(schedule, "2026-03-02"))["state"]!.GetValue<string>());
        var runKey = AutoPayScenario.RunKey(schedule, "2026-03-02");
        var send = Assert.Single(Snapshot(spans), s => s.Kind == ActivityKind.Producer && Equals(s.GetTagItem(Telemetry.Tags.RunKey), runKey));
        var deliveries = Snapshot(spans).Where(s => s.TraceId == send.TraceId && s.Kind == ActivityKind.Consumer).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(3, deliveries.Count);
        Assert.Equal(send.SpanId, deliveries[0].ParentSpanId);
        Assert.Equal(deliveries[0].SpanId, deliveries[1].ParentSpanId);
        Assert.Equal(deliveries[1].SpanId, deliveries[2].ParentSpanId);
        Assert.Equal(["Reschedule", "Reschedule", "Complete"], deliveries.Select(d => (string)d.GetTagItem(Telemetry.Tags.Outcome)!));
        Assert.Single(Snapshot(spans), s => s.TraceId == send.TraceId && s.DisplayName == "gateway charge");
    }

    [Fact]
    public async Task Metrics_CountRunsByState_MoneyByCurrency_AndRetriesByReason()
    {
        var metrics = new List<Metric>();
        var mms = new DownFor(calls: 1);
        await using var scenario = await AutoPayScenario.StartAsync(
            emulators,
            settings: s => s["Runs__MmsRetryDelays"] = "00:00:01",
            services: c =>
            {
                c.AddOpenTelemetry().WithMetrics(m => m.AddMeter(Telemetry.Name).AddInMemoryExporter(metrics));
                c.AddSingleton<IMmsConnector>(sp => mms.Around(ActivatorUtilities.CreateInstance<FirmMmsConnector>(sp)));
            });
        var meters = scenario.Host.Get<MeterProvider>();
        await scenario.IngestClientAsync("C-300");
        await scenario.IngestClientAsync("C-301");
        var approved = await scenario.AutoPayAsync(await scenario.PartyAsync("C-300", SandboxPaymentGateway.Approve + ".m"), "2026-03-02");
        var declined = await scenario.AutoPayAsync(await scenario.PartyAsync("C-301", SandboxPaymentGateway.StolenCard + ".m"), "2026-03-02");

        scenario.SetFirmTime(2026, 3, 2);
        await scenario.SettleAsync(TimeSpan.FromSeconds(60));
        meters.ForceFlush();

        Assert.Equal("Posted", (await scenario.RunAsync(approved, "2026-03-02"))["state"]!.GetValue<string>());
        Assert.Equal("Failed", (await scenario.RunAsync(declined, "2026-03-02"))["state"]!.GetValue<string>());
        Assert.Equal(1, Sum(metrics, Telemetry.Metrics.Runs, Telemetry.Tags.RunState, "Posted"));
        Assert.Equal(1, Sum(metrics, Telemetry.Metrics.Runs, Telemetry.Tags.RunState, "Failed"));
        Assert.Equal(2, Sum(metrics, Telemetry.Metrics.Runs, Telemetry.Tags.RunState, "Allocated"));
        Assert.Equal(AutoPayScenario.Outstanding, Sum(metrics, Telemetry.Metrics.Charged, Telemetry.Tags.Currency, "USD"));
        Assert.Equal(1, Sum(metrics, Telemetry.Metrics.Retries, Telemetry.Tags.Reason, Telemetry.RetryReasons.MmsUnavailable));
    }

    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    /// <summary>The last value each exported point of <paramref name="name"/> with the tag had (the sums are cumulative).</summary>
    private static long Sum(List<Metric> metrics, string name, string tag, string value)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var t in point.Tags)
                {
                    if (t.Key == tag && Equals(t.Value, value))
                    {
                        total = point.GetSumLong();
                    }
                }
            }
        }

        return total;
    }

    /// <summary>An MMS that refuses its first <c>calls</c> invoice queries.</summary>
    private sealed class DownFor(int calls)
    {
        private readonly int _failures = calls;
        private int _calls;

        public IMmsConnector Around(IMmsConnector inner) => new Connector(this, inner);

        private sealed class Connector(DownFor owner, IMmsConnector inner) : IMmsConnector
        {
            public Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken) =>
                inner.SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken);

            public Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken) => inner.FindAsync(firmId, scope, cancellationToken);

            public Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken) =>
                Interlocked.Increment(ref owner._calls) <= owner._failures
                    ? throw new MmsUnavailableException("Connection refused (injected).")
                    : inner.OutstandingInvoicesAsync(firmId, scopes, cancellationToken);
        }
    }
}
