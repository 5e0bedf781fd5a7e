using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PayConnect.Functions.Http;
using PayConnect.Infrastructure;

namespace PayConnect.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>The worker's whole registration: shared services plus the HTTP pipeline. The dev host and tests use it too.</summary>
    public static IServiceCollection AddPayConnectFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPayConnect(configuration);

        // Problem details (RFC 9457) are written by the framework's IProblemDetailsService; HttpApi sets their fields.
        services.AddProblemDetails();
        services.TryAddSingleton(_ => new CallerResolver(configuration));
        services.TryAddSingleton<HttpApi>();
        return services;
    }
}
