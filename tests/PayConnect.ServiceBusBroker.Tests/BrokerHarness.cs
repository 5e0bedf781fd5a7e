using Azure.Messaging.ServiceBus;

namespace PayConnect.ServiceBusBroker.Tests;

/// <summary>A broker on a free port with one queue, and a real Service Bus client connected to it.</summary>
internal sealed class BrokerHarness : IAsyncDisposable
{
    public const string QueueName = "work";

    private BrokerHarness(LocalServiceBusBroker broker, ServiceBusClient client)
    {
        Broker = broker;
        Client = client;
    }

    public LocalServiceBusBroker Broker { get; }

    public ServiceBusClient Client { get; }

    public static async Task<BrokerHarness> StartAsync(Action<QueueOptions>? configure = null)
    {
        var queue = new QueueOptions { Name = QueueName, LockDuration = TimeSpan.FromSeconds(30) };
        configure?.Invoke(queue);
        var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions { Port = 0, Queues = { queue } });
        var client = new ServiceBusClient(broker.ConnectionString, new ServiceBusClientOptions
        {
            // Fail fast instead of retrying for a minute when something is wrong.
            RetryOptions = new ServiceBusRetryOptions { MaxRetries = 1, TryTimeout = TimeSpan.FromSeconds(15) },
        });
        return new BrokerHarness(broker, client);
    }

    public QueueMessageCounts Counts => Broker.GetMessageCounts(QueueName);

    public ServiceBusSender CreateSender() => Client.CreateSender(QueueName);

    public ServiceBusReceiver CreateReceiver(ServiceBusReceiveMode mode = ServiceBusReceiveMode.PeekLock) =>
        Client.CreateReceiver(QueueName, new ServiceBusReceiverOptions { ReceiveMode = mode });

    public ServiceBusReceiver CreateDeadLetterReceiver() =>
        Client.CreateReceiver(QueueName, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
