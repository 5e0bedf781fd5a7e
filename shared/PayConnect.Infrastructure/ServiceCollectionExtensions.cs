using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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
using PayConnect.Infrastructure.Notifications;
using PayConnect.Infrastructure.Runs;
using PayConnect.Infrastructure.Storage;

namespace PayConnect.Infrastructure;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers everything the function classes need, with every settings group bound from the host's
    /// <c>IConfiguration</c> (<see cref="SettingsBinding"/>); the dev host and tests call the same method.
    /// </summary>
    public static IServiceCollection AddPayConnect(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddSettings<AzureOptions>().ValidateProblems(o => o.Problems());
        services.AddSettings<StorageOptions>().ValidateProblems(o => o.Problems());
        services.AddSettings<ServiceBusOptions>().ValidateProblems(o => o.Problems());
        services.AddSettings<RunDrainOptions>();
        services.AddSettings<AuthOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());

        services.TryAddSingleton<IClock>(SystemClock.Instance);

        // Only built when a setting names an Azure endpoint instead of a connection string.
        services.TryAddSingleton<TokenCredential>(sp => AzureCredentials.From(sp.GetRequiredService<IOptions<AzureOptions>>().Value));
        services.TryAddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            return new TableStorage(!string.IsNullOrWhiteSpace(storage.ConnectionString)
                ? new TableServiceClient(storage.ConnectionString)
                : new TableServiceClient(new Uri(storage.TableServiceUri!.Trim()), sp.GetRequiredService<TokenCredential>()));
        });
        services.TryAddSingleton(sp => ServiceBusFactory.CreateClient(
            sp.GetRequiredService<IOptions<ServiceBusOptions>>().Value,
            sp.GetRequiredService<TokenCredential>));
        services.TryAddSingleton(sp => QueueNames.From(sp.GetRequiredService<IOptions<ServiceBusOptions>>().Value));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<RunDrainOptions>>().Value.ToDrainOptions());
        services.TryAddSingleton<QueueDrain>();
        services.TryAddSingleton<HealthCheck>();
        services.TryAddSingleton<BacklogProbe>();
        services.TryAddSingleton<IRecordStore, TableRecordStore>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MirrorMmsConnector>();
        services.TryAddSingleton(new HttpMmsOptions());
        // Attempts are bounded by HttpMmsOptions.AttemptTimeout; this only stops a request the connector lost track of.
        // Redirects are not followed: a signed request goes to the firm's configured endpoint or nowhere.
        // Firm-chosen endpoints are checked at connect time: no private, link-local or (outside development) loopback.
        services.TryAddSingleton(sp => new MmsNetworkPolicy(
            AllowLoopback: sp.GetRequiredService<IOptions<AuthOptions>>().Value.IsDevelopment));
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
        services.TryAddSingleton<PayerCopies>();
        services.TryAddSingleton<PayerHandlers>();
        services.TryAddSingleton<MmsHandlers>();
        services.TryAddSingleton<DueIndex>();
        services.TryAddSingleton<ScheduleHandlers>();
        services.TryAddSingleton<IRunQueue, ServiceBusRunQueue>();
        services.TryAddSingleton<FanOut>();
        services.TryAddSingleton<IScheduleScan, TableScheduleScan>();
        services.TryAddSingleton<DueIndexReconciler>();
        services.AddPayConnectRuns();
        services.AddPayConnectNotices();
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
}
