using Azure.Core;
using Azure.Messaging.ServiceBus;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>Builds the Service Bus client: a connection string locally (the local broker), the managed identity in Azure.</summary>
public static class ServiceBusFactory
{
    public static ServiceBusClient CreateClient(ServiceBusOptions settings, Func<TokenCredential> credential)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(credential);
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

        // ServiceBusOptions' validation (at start) guarantees one of the two.
        return !string.IsNullOrWhiteSpace(settings.ConnectionString)
            ? new ServiceBusClient(settings.ConnectionString, options)
            : new ServiceBusClient(settings.FullyQualifiedNamespace!.Trim(), credential(), options);
    }
}

/// <summary>Names of the queues PayConnect uses.</summary>
public sealed record QueueNames(string Runs)
{
    public static QueueNames From(ServiceBusOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new(settings.RunsQueue.Trim());
    }
}
