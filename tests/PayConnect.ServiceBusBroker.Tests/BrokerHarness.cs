using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

/// <summary>A broker on a free port with one queue, and a real Service Bus client connected to it.</summary>
internal sealed class BrokerHarness : IAsyncDisposable
{
    public const string QueueName = "work";

    private readonly ILoggerFactory _loggerFactory;

    private BrokerHarness(LocalServiceBusBroker broker, ServiceBusClient client, ILoggerFactory loggerFactory)
    {
        Broker = broker;
        Client = client;
        _loggerFactory = loggerFactory;
    }

    public LocalServiceBusBroker Broker { get; }

    public ServiceBusClient Client { get; }

    /// <summary>Starts the broker; its log goes to the test output, which xunit shows for failed tests.</summary>
    public static async Task<BrokerHarness> StartAsync(ITestOutputHelper output, Action<QueueOptions>? configure = null)
    {
        var queue = new QueueOptions { Name = QueueName, LockDuration = TimeSpan.FromSeconds(30) };
        configure?.Invoke(queue);
        var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(new TestOutputLoggerProvider(output)).SetMinimumLevel(LogLevel.Debug));
        var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions { Port = 0, Queues = { queue } }, loggerFactory);
        var client = new ServiceBusClient(broker.ConnectionString, new ServiceBusClientOptions
        {
            // No retries: a broker fault must fail the test, not be papered over by a second attempt.
            RetryOptions = new ServiceBusRetryOptions { MaxRetries = 0, TryTimeout = TimeSpan.FromSeconds(15) },
        });
        return new BrokerHarness(broker, client, loggerFactory);
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
        _loggerFactory.Dispose();
    }
}

internal static class ReceiverExtensions
{
    /// <summary>Receives until <paramref name="count"/> messages arrived or <paramref name="timeout"/> passed.</summary>
    public static async Task<List<ServiceBusReceivedMessage>> ReceiveAtLeastAsync(this ServiceBusReceiver receiver, int count, TimeSpan timeout)
    {
        var received = new List<ServiceBusReceivedMessage>();
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (received.Count < count && DateTimeOffset.UtcNow < deadline)
        {
            var batch = await receiver.ReceiveMessagesAsync(count - received.Count, deadline - DateTimeOffset.UtcNow);
            received.AddRange(batch);
        }

        return received;
    }

    /// <summary>Receives exactly one message, failing the test when none arrives in time.</summary>
    public static async Task<ServiceBusReceivedMessage> ReceiveOneAsync(this ServiceBusReceiver receiver, TimeSpan? timeout = null)
    {
        var message = await receiver.ReceiveMessageAsync(timeout ?? TimeSpan.FromSeconds(10));
        Assert.NotNull(message);
        return message;
    }
}
