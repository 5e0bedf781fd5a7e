using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PayConnect.Functions.Http;
using PayConnect.Infrastructure;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Observability;

namespace PayConnect.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>
    /// The worker's whole registration: shared services plus the HTTP pipeline, every setting bound from the host's
    /// <c>IConfiguration</c> and validated at start. The dev host and tests use it too.
    /// </summary>
    public static IServiceCollection AddPayConnectFunctions(this IServiceCollection services)
    {
        services.AddPayConnect();
        services.AddOptions<AuthOptions>().ValidateProblems(DevelopmentRoleProblems);
        services.TryAddSingleton<CallerResolver>();

        // Problem details (RFC 9457) are written by the framework's IProblemDetailsService; HttpApi sets their fields.
        services.AddProblemDetails();
        services.TryAddSingleton<HttpApi>();
        return services;
    }

    /// <summary>
    /// Telemetry as the worker exports it (<see cref="TelemetryServiceCollectionExtensions.AddPayConnectTelemetry"/>),
    /// plus the worker's OpenTelemetry defaults: resource attributes, and telling the host that the worker sends its
    /// own logs (so the host stops forwarding them). Nothing when no Application Insights connection string is set.
    /// </summary>
    public static IServiceCollection AddPayConnectFunctionsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPayConnectTelemetry(configuration)?.UseFunctionsWorkerDefaults();
        return services;
    }

    private static IEnumerable<string> DevelopmentRoleProblems(AuthOptions auth)
    {
        if (auth.IsDevelopment && !string.IsNullOrWhiteSpace(auth.DevelopmentRole) && !Roles.All.Contains(auth.DevelopmentRole.Trim()))
        {
            yield return $"{AppSettings.AuthDevelopmentRole} must be one of {string.Join(", ", Roles.All)}.";
        }
    }
}
