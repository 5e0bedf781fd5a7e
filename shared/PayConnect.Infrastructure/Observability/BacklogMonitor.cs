using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PayConnect.Infrastructure.Health;

namespace PayConnect.Infrastructure.Observability;

/// <summary>
/// Reads the backlog once a minute while the worker runs, so the gauges (<see cref="BacklogGauges"/>) have a fresh
/// figure at every metric export whether or not anything calls <c>/api/health</c>. Registered only when telemetry is
/// exported.
/// </summary>
public sealed class BacklogMonitor(BacklogProbe probe, BacklogGauges gauges, TimeProvider time, ILogger<BacklogMonitor> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        GC.KeepAlive(gauges);
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                var reading = await probe.ReadAsync(stoppingToken).ConfigureAwait(false);
                logger.LogDebug(
                    "Backlog: {DeadLetterDepth} dead-lettered, due lag {DueLag}, {OutboxPending} emails pending (oldest {OutboxOldestAge})",
                    reading.DeadLetterDepth, reading.DueLag, reading.OutboxPending, reading.OutboxOldestAge);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Backlog reading failed: {ErrorType}", ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
