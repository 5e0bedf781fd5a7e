using System.Diagnostics.Metrics;
using NodaTime;
using PayConnect.Infrastructure.Health;
using PayConnect.Observability;

namespace PayConnect.Infrastructure.Observability;

/// <summary>
/// Observable gauges of the backlog (meter "PayConnect"): dead-letter depth, due lag, outbox backlog and its oldest
/// email's age, each reporting the probe's latest reading while it is fresh (nothing when it is stale or failed, so a
/// stopped reader shows as missing data, not as a reassuring old value).
/// </summary>
public sealed class BacklogGauges : IDisposable
{
    /// <summary>A reading older than this is not reported.</summary>
    public static readonly Duration FreshFor = Duration.FromMinutes(10);

    private readonly Meter _meter = new(Telemetry.Name);

    public BacklogGauges(BacklogProbe probe, IClock clock)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(clock);

        IEnumerable<Measurement<long>> Observe(Func<BacklogReading, long?> figure)
        {
            if (probe.Last is { } reading && clock.GetCurrentInstant() - reading.ReadAt <= FreshFor && figure(reading) is { } value)
            {
                yield return new Measurement<long>(value);
            }
        }

        _meter.CreateObservableGauge(Telemetry.Metrics.DeadLetterDepth, () => Observe(r => r.DeadLetterDepth), "{message}",
            "Run messages in the runs queue's dead-letter sub-queue (counted up to 1000).");
        _meter.CreateObservableGauge(Telemetry.Metrics.DueLag, () => Observe(r => (long?)r.DueLag?.TotalSeconds), "s",
            "Age of the oldest due run the fan-out has not sent yet (0 when none waits).");
        _meter.CreateObservableGauge(Telemetry.Metrics.OutboxBacklog, () => Observe(r => r.OutboxPending), "{email}",
            "Notification emails waiting in the outbox.");
        _meter.CreateObservableGauge(Telemetry.Metrics.OutboxOldestAge, () => Observe(r => (long?)r.OutboxOldestAge?.TotalSeconds), "s",
            "Age of the oldest notification email still waiting in the outbox (0 when none waits).");
    }

    public void Dispose() => _meter.Dispose();
}
