using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Infrastructure.Health;

namespace PayConnect.Functions.Health;

/// <summary>
/// Reports whether Table Storage and Service Bus answer (503 when either does not) and what piles up: dead-lettered
/// runs, due lag and the email outbox (Degraded, still 200). Anonymous, so it says only that.
/// </summary>
public sealed class HealthFunction(HealthCheck health)
{
    /// <summary>Whether the app's dependencies (Table Storage, Service Bus) answer; 503 when one does not.</summary>
    [Function("Health")]
    [ApiOperation(Anonymous = true, Response = typeof(HealthResponse), AlsoStatuses = [503])]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        // Reachable without a token in Azure (authsettingsV2 excludedPaths): a status per dependency and counts and
        // ages, nothing else, so no host name, connection detail, run key or error text reaches an anonymous caller.
        // HealthCheck and BacklogProbe log why. A figure that could not be read is null.
        var report = await health.CheckAsync(cancellationToken);
        return Results.Json(HealthResponse.From(report), ApiJson.Options, statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>The app's health, each dependency's, and what piles up.</summary>
/// <param name="Status">Unhealthy when a dependency did not answer; Degraded when all answer but work piles up (dead letters, due lag or the email outbox); else Healthy.</param>
/// <param name="Dependencies">Each dependency by name (tableStorage, serviceBus).</param>
/// <param name="Backlog">What piles up; a figure that could not be read is null.</param>
/// <param name="Degraded">Which backlog figures are past their limits (deadLetters, dueLag, outbox).</param>
public sealed record HealthResponse(
    HealthStatus Status,
    IReadOnlyDictionary<string, DependencyHealthResponse> Dependencies,
    BacklogResponse Backlog,
    IReadOnlyList<string> Degraded) : IExample<HealthResponse>
{
    public static HealthResponse Example => new(HealthStatus.Healthy, new Dictionary<string, DependencyHealthResponse>
    {
        ["tableStorage"] = new(HealthStatus.Healthy),
        ["serviceBus"] = new(HealthStatus.Healthy),
    }, new BacklogResponse(0, 0, 0, null), []);

    public static HealthResponse From(HealthReport report) => new(
        Enum.Parse<HealthStatus>(report.Status),
        report.Dependencies.ToDictionary(d => d.Name, d => new DependencyHealthResponse(d.Healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy)),
        new BacklogResponse(
            report.Backlog?.DeadLetterDepth,
            (long?)report.Backlog?.DueLag?.TotalSeconds,
            report.Backlog?.OutboxPending,
            (long?)report.Backlog?.OutboxOldestAge?.TotalSeconds),
        report.Backlog?.Degraded ?? []);
}

/// <summary>What piles up, as counts and ages only.</summary>
/// <param name="DeadLetterDepth">Dead-lettered run messages (counted up to 1000).</param>
/// <param name="DueLagSeconds">Age of the oldest due run not yet sent, in seconds.</param>
/// <param name="OutboxPending">Emails waiting in the outbox.</param>
/// <param name="OutboxOldestAgeSeconds">Age of the oldest of them, in seconds.</param>
public sealed record BacklogResponse(int? DeadLetterDepth, long? DueLagSeconds, int? OutboxPending, long? OutboxOldestAgeSeconds);

/// <summary>One dependency's health (never why: that is in the log, not for anonymous callers).</summary>
/// <param name="Status">Whether it answered.</param>
public sealed record DependencyHealthResponse(HealthStatus Status);

public enum HealthStatus
{
    Healthy,
    Degraded,
    Unhealthy,
}
