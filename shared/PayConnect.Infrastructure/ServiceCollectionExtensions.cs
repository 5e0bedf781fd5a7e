using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace PayConnect.Infrastructure;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers everything the function classes need; the dev host and tests call the same method.</summary>
    public static IServiceCollection AddPayConnect(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }
}
