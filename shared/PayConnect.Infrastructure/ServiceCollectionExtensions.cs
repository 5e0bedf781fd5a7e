using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using FluentValidation;
using PayConnect.Connect;
using PayConnect.Firms;
using PayConnect.Mms;
using PayConnect.Payers;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Health;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Mms;
using PayConnect.Infrastructure.Runs;
using PayConnect.Infrastructure.Storage;

namespace PayConnect.Infrastructure;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers everything the function classes need; the dev host and tests call the same method.</summary>
    public static IServiceCollection AddPayConnect(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton(_ => TableStorage.FromConfiguration(configuration));
        services.TryAddSingleton(_ => ServiceBusFactory.CreateClient(configuration));
        services.TryAddSingleton(_ => QueueNames.FromConfiguration(configuration));
        services.TryAddSingleton(_ => new DrainOptions
        {
            TimeBudget = TimeSpan.FromSeconds(ReadInt(configuration, AppSettings.RunDrainTimeBudgetSeconds, 240)),
            MaxConcurrency = ReadInt(configuration, AppSettings.RunDrainMaxConcurrency, 4),
        });
        services.TryAddSingleton<QueueDrain>();
        services.TryAddSingleton<HealthCheck>();
        services.TryAddSingleton<IRecordStore, TableRecordStore>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MirrorMmsConnector>();
        services.TryAddSingleton(new HttpMmsOptions());
        // Attempts are bounded by HttpMmsOptions.AttemptTimeout; this only stops a request the connector lost track of.
        // Redirects are not followed: a signed request goes to the firm's configured endpoint or nowhere.
        // Firm-chosen endpoints are checked at connect time: no private, link-local or (outside development) loopback.
        services.TryAddSingleton(_ => new MmsNetworkPolicy(
            AllowLoopback: string.Equals(configuration[AppSettings.AuthMode], "Development", StringComparison.OrdinalIgnoreCase)));
        services.AddHttpClient(FirmMmsConnector.HttpClientName, client => client.Timeout = TimeSpan.FromMinutes(2))
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectCallback = sp.GetRequiredService<MmsNetworkPolicy>().ConnectAsync,
            });
        services.TryAddSingleton<IMmsConnector, FirmMmsConnector>();
        services.AddRequestValidators();
        services.TryAddSingleton<FirmHandlers>();
        services.TryAddSingleton<PayerHandlers>();
        services.TryAddSingleton<MmsHandlers>();
        services.TryAddSingleton<DueIndex>();
        services.TryAddSingleton<ScheduleHandlers>();
        services.TryAddSingleton<IRunQueue, ServiceBusRunQueue>();
        services.TryAddSingleton<FanOut>();
        services.AddPayConnectRuns(configuration);
        return services;
    }

    /// <summary>Every request validator of the domain, as <c>IValidator&lt;TRequest&gt;</c> (stateless, so singletons).</summary>
    public static IServiceCollection AddRequestValidators(this IServiceCollection services)
    {
        foreach (var type in typeof(FirmHandlers).Assembly.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false }))
        {
            foreach (var contract in type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>)))
            {
                services.TryAddSingleton(contract, type);
            }
        }

        return services;
    }

    internal static int ReadInt(IConfiguration configuration, string name, int fallback) =>
        int.TryParse(configuration[name], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : fallback;
}
