using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>Builds the Service Bus client: a connection string locally (the local broker), the managed identity in Azure.</summary>
public static class ServiceBusFactory
{
    public static ServiceBusClient CreateClient(IConfiguration configuration)
    {
        var options = new ServiceBusClientOptions
        {
            RetryOptions = new ServiceBusRetryOptions
            {
                Mode = ServiceBusRetryMode.Exponential,
                MaxRetries = 3,
                Delay = TimeSpan.FromMilliseconds(200),
                TryTimeout = TimeSpan.FromSeconds(20),
            },
        };

        var connectionString = configuration[AppSettings.ServiceBusConnectionString];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new ServiceBusClient(connectionString, options);
        }

        var ns = configuration[AppSettings.ServiceBusNamespace];
        if (string.IsNullOrWhiteSpace(ns))
        {
            throw new InvalidOperationException(
                $"Set {AppSettings.ServiceBusConnectionString} (locally) or {AppSettings.ServiceBusNamespace} (in Azure).");
        }

        return new ServiceBusClient(ns, AzureCredentials.FromConfiguration(configuration), options);
    }
}

/// <summary>Names of the queues PayConnect uses.</summary>
public sealed record QueueNames(string Runs)
{
    public static QueueNames FromConfiguration(IConfiguration configuration) =>
        new(configuration[AppSettings.ServiceBusRunsQueue] is { Length: > 0 } runs ? runs : "autopay-runs");
}
