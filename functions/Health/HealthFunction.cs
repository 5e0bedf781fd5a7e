using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Infrastructure.Health;

namespace PayConnect.Functions.Health;

/// <summary>Reports whether Table Storage and Service Bus answer; 503 when either does not. Anonymous, so it says only that.</summary>
public sealed class HealthFunction(HealthCheck health)
{
    [Function("Health")]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckAsync(cancellationToken);
        // Reachable without a token in Azure (authsettingsV2 excludedPaths): a status per dependency and nothing
        // else, so no host name, connection detail or error text reaches an anonymous caller. HealthCheck logs why.
        var body = new
        {
            status = report.Status,
            dependencies = report.Dependencies.ToDictionary(
                d => d.Name,
                d => new { status = d.Healthy ? "Healthy" : "Unhealthy" }),
        };
        return Results.Json(body, statusCode: report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
