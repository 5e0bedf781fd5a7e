using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Infrastructure.Health;
using PayConnect.Scheduling;

namespace PayConnect.Functions.Health;

/// <summary>
/// Reports whether Table Storage and Service Bus answer (503 when either does not), and how many repairs the last
/// due-index reconciliation made. Anonymous, so it says only that: statuses, a count and a time.
/// </summary>
public sealed class HealthFunction(HealthCheck health, DueIndex dueIndex, ILogger<HealthFunction> logger)
{
    [Function("Health")]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken);
        var reconciliation = report.Dependencies.All(d => d.Name != "tableStorage" || d.Healthy) ? await LastReconciliationAsync(cancellationToken) : null;

        // Reachable without a token in Azure (authsettingsV2 excludedPaths): a status per dependency, the repair count and
        // nothing else, so no host name, connection detail, error text or schedule reaches an anonymous caller.
        // HealthCheck logs why.
        var body = new
        {
            status = report.Status,
            dependencies = report.Dependencies.ToDictionary(
                d => d.Name,
                d => new { status = d.Healthy ? "Healthy" : "Unhealthy" }),
            dueIndex = new
            {
                lastReconciledAt = reconciliation?.RanAt.ToString(),
                repairs = reconciliation?.Repairs,
            },
        };
        return Results.Json(body, statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private async Task<DueIndexReconciliationReport?> LastReconciliationAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await dueIndex.LastReconciliationAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Health: the last due-index reconciliation could not be read: {ErrorType}", ex.GetType().Name);
            return null;
        }
    }
}
