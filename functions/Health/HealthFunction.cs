using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Infrastructure.Health;

namespace PayConnect.Functions.Health;

/// <summary>Reports whether Table Storage and Service Bus answer; 503 when either does not.</summary>
public sealed class HealthFunction(HealthCheck health)
{
    /// <summary>Whether the app's dependencies (Table Storage, Service Bus) answer; 503 when one does not.</summary>
    [Function("Health")]
    [ApiOperation(Anonymous = true, Response = typeof(HealthResponse), AlsoStatuses = [503])]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        // Reachable without a token in Azure (authsettingsV2 excludedPaths): a status per dependency and nothing
        // else, so no host name, connection detail or error text reaches an anonymous caller. HealthCheck logs why.
        var report = await health.CheckAsync(cancellationToken);
        return Results.Json(HealthResponse.From(report), ApiJson.Options, statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>The app's health and each dependency's.</summary>
/// <param name="Status">Healthy when every dependency answered.</param>
/// <param name="Dependencies">Each dependency by name (tableStorage, serviceBus).</param>
public sealed record HealthResponse(HealthStatus Status, IReadOnlyDictionary<string, DependencyHealthResponse> Dependencies) : IExample<HealthResponse>
{
    public static HealthResponse Example => new(HealthStatus.Healthy, new Dictionary<string, DependencyHealthResponse>
    {
        ["tableStorage"] = new(HealthStatus.Healthy),
        ["serviceBus"] = new(HealthStatus.Healthy),
    });

    public static HealthResponse From(HealthReport report) => new(
        report.Healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy,
        report.Dependencies.ToDictionary(d => d.Name, d => new DependencyHealthResponse(d.Healthy ? HealthStatus.Healthy : HealthStatus.Unhealthy)));
}

/// <summary>One dependency's health (never why: that is in the log, not for anonymous callers).</summary>
/// <param name="Status">Whether it answered.</param>
public sealed record DependencyHealthResponse(HealthStatus Status);

public enum HealthStatus
{
    Healthy,
    Unhealthy,
}
