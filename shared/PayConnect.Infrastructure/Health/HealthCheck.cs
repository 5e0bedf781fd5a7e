using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Storage;

namespace PayConnect.Infrastructure.Health;

/// <summary>Outcome of one dependency check.</summary>
public sealed record DependencyHealth(string Name, bool Healthy, string? Error, long ElapsedMilliseconds);

/// <summary>
/// Overall health: Unhealthy when a dependency did not answer; Degraded when everything answers but work piles up
/// (dead-lettered runs, due runs not sent, emails not going out); else Healthy.
/// </summary>
public sealed record HealthReport(bool Healthy, IReadOnlyList<DependencyHealth> Dependencies, BacklogReading? Backlog = null)
{
    public string Status => !Healthy ? "Unhealthy" : Backlog?.Degraded.Count > 0 ? "Degraded" : "Healthy";
}

/// <summary>Checks that Table Storage and Service Bus answer, each within a short timeout, and reads the backlog.</summary>
public sealed class HealthCheck(TableStorage tables, ServiceBusClient serviceBus, QueueNames queues, BacklogProbe backlog, ILogger<HealthCheck> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var reading = backlog.ReadAsync(cancellationToken);
        var checks = await Task.WhenAll(
            ProbeAsync("tableStorage", async ct =>
            {
                await foreach (var _ in tables.Service.QueryAsync(maxPerPage: 1, cancellationToken: ct).ConfigureAwait(false))
                {
                    break;
                }
            }, cancellationToken),
            ProbeAsync("serviceBus", async ct =>
            {
                await using var receiver = serviceBus.CreateReceiver(queues.Runs);
                await receiver.PeekMessageAsync(cancellationToken: ct).ConfigureAwait(false);
            }, cancellationToken)).ConfigureAwait(false);
        return new HealthReport(checks.All(c => c.Healthy), checks, await reading.ConfigureAwait(false));
    }

    private async Task<DependencyHealth> ProbeAsync(string name, Func<CancellationToken, Task> probe, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await probe(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            return new DependencyHealth(name, true, null, started.ElapsedMilliseconds);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Health probe {Dependency} failed: {ErrorType}", name, ex.GetType().Name);
            var error = ex is OperationCanceledException ? "timed out" : ex.GetType().Name;
            return new DependencyHealth(name, false, error, started.ElapsedMilliseconds);
        }
    }
}
