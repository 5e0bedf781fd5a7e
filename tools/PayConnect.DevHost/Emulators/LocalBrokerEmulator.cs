using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.ServiceBusBroker;

namespace PayConnect.DevHost.Emulators;

/// <summary>
/// Starts the repository's local Service Bus broker in-process with the queues of
/// tools/PayConnect.ServiceBusBroker/broker.json, unless the environment already names a Service Bus.
/// </summary>
internal sealed class LocalBrokerEmulator : ILocalEmulator
{
    private LocalServiceBusBroker? _broker;

    public async Task<IReadOnlyDictionary<string, string>> StartAsync(EmulatorContext context, CancellationToken cancellationToken)
    {
        if (!context.Options.StartEmulators || !string.IsNullOrWhiteSpace(context.EnvironmentSetting<ServiceBusOptions>().ConnectionString))
        {
            return await new ServiceBusFromSettings().StartAsync(context, cancellationToken);
        }

        var options = BrokerOptions.Load(Path.Combine(context.RepositoryRoot, "tools", "PayConnect.ServiceBusBroker", "broker.json"));
        options.Port = 0;
        context.Console.Line("Starting the local Service Bus broker ...");
        _broker = await LocalServiceBusBroker.StartAsync(options, cancellationToken: cancellationToken);
        context.Console.Line($"Service Bus broker ready on localhost:{_broker.Port} (queues: {string.Join(", ", _broker.QueueNames)})");
        return new Dictionary<string, string> { [AppSettings.ServiceBusConnectionString] = _broker.ConnectionString };
    }

    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
