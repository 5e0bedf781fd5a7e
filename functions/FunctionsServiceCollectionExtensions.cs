using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PayConnect.Functions.Http;
using PayConnect.Infrastructure;
using PayConnect.Infrastructure.Configuration;

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

    private static IEnumerable<string> DevelopmentRoleProblems(AuthOptions auth)
    {
        if (auth.IsDevelopment && !string.IsNullOrWhiteSpace(auth.DevelopmentRole) && !Roles.All.Contains(auth.DevelopmentRole.Trim()))
        {
            yield return $"{AppSettings.AuthDevelopmentRole} must be one of {string.Join(", ", Roles.All)}.";
        }
    }
}
