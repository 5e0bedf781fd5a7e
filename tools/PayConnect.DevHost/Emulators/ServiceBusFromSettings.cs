using System.Data.Common;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;

namespace PayConnect.DevHost.Emulators;

/// <summary>Service Bus as the settings name it: the dev host starts nothing and says where the functions will connect.</summary>
internal sealed class ServiceBusFromSettings : ILocalEmulator
{
    public Task<IReadOnlyDictionary<string, string>> StartAsync(EmulatorContext context, CancellationToken cancellationToken)
    {
        var serviceBus = context.Setting<ServiceBusOptions>();
        var connectionString = serviceBus.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var ns = serviceBus.FullyQualifiedNamespace;
            context.Console.Line(string.IsNullOrWhiteSpace(ns)
                ? $"Service Bus: not configured (set {AppSettings.ServiceBusConnectionString})"
                : $"Service Bus: {ns} with the Azure identity ({AppSettings.ServiceBusNamespace})");
        }
        else
        {
            context.Console.Line($"Service Bus: {Endpoint(connectionString)} from {AppSettings.ServiceBusConnectionString} (the dev host does not start a broker for it)");
        }

        return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // Only the endpoint is shown: a connection string carries a key.
    private static string Endpoint(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return builder.TryGetValue("Endpoint", out var endpoint) ? endpoint?.ToString() ?? "?" : "(no Endpoint)";
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
    }
}
