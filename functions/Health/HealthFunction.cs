using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Infrastructure.Health;

namespace PayConnect.Functions.Health;

/// <summary>
/// Reports whether Table Storage and Service Bus answer (503 when either does not) and what piles up: dead-lettered
/// runs, due lag and the email outbox (Degraded, still 200). Anonymous, so it says only that.
/// </summary>
public sealed class HealthFunction(HealthCheck health)
{
    [Function("Health")]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken);
        // Reachable without a token in Azure (authsettingsV2 excludedPaths): a status per dependency and counts and
        // ages, nothing else, so no host name, connection detail, run key or error text reaches an anonymous caller.
        // HealthCheck and BacklogProbe log why. A figure that could not be read is null.
        var backlog = report.Backlog;
        var body = new
        {
            status = report.Status,
            dependencies = report.Dependencies.ToDictionary(
                d => d.Name,
                d => new { status = d.Healthy ? "Healthy" : "Unhealthy" }),
            backlog = new
            {
                deadLetterDepth = backlog?.DeadLetterDepth,
                dueLagSeconds = (long?)backlog?.DueLag?.TotalSeconds,
                outboxPending = backlog?.OutboxPending,
                outboxOldestAgeSeconds = (long?)backlog?.OutboxOldestAge?.TotalSeconds,
            },
            degraded = backlog?.Degraded ?? [],
        };
        return Results.Json(body, statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
