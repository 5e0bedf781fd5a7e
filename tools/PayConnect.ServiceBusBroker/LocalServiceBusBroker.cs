using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PayConnect.ServiceBusBroker.Amqp;
using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker;

/// <summary>
/// An in-memory AMQP 1.0 server that the real Azure.Messaging.ServiceBus client talks to through
/// <see cref="ConnectionString"/> (development-emulator mode: plain TCP on loopback, any key).
/// Serves the queues of <see cref="BrokerOptions"/> with peek-lock, dead-lettering, scheduling and duplicate detection.
/// </summary>
/// <example>
/// <code>
/// await using var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions
/// {
///     Port = 0,
///     Queues = { new QueueOptions { Name = "autopay-runs", LockDuration = TimeSpan.FromSeconds(5) } },
/// });
/// await using var client = new ServiceBusClient(broker.ConnectionString);
/// </code>
/// </example>
public sealed class LocalServiceBusBroker : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, QueueEntity> _queues;
    private readonly AmqpHost _host;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private int _disposed;

    private LocalServiceBusBroker(BrokerOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<LocalServiceBusBroker>();
        _queues = new ConcurrentDictionary<string, QueueEntity>(StringComparer.OrdinalIgnoreCase);
        foreach (var queue in options.Queues)
        {
            _queues[queue.Name] = CreateEntity(queue);
        }

        _host = new AmqpHost(options.Port, _queues, options.MaxMessageSizeBytes, _logger);
    }

    /// <summary>The port the broker listens on (the chosen one when <see cref="BrokerOptions.Port"/> was 0).</summary>
    public int Port => _host.Port;

    /// <summary>A Service Bus connection string for this broker; the key is a placeholder the broker never checks.</summary>
    public string ConnectionString =>
        $"Endpoint=sb://localhost:{Port};SharedAccessKeyName=local;SharedAccessKey=local-development-key;UseDevelopmentEmulator=true";

    /// <summary>Names of the queues served.</summary>
    public IReadOnlyCollection<string> QueueNames => _queues.Values.Select(q => q.Name).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Starts listening on the loopback interface.</summary>
    /// <param name="options">Port and queues; validated before anything is bound.</param>
    /// <param name="loggerFactory">Where the broker logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static Task<LocalServiceBusBroker> StartAsync(BrokerOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();

        var broker = new LocalServiceBusBroker(options, loggerFactory ?? NullLoggerFactory.Instance, TimeProvider.System);
        broker._host.Start();
        BrokerLog.Listening(broker._logger, broker.Port, string.Join(", ", broker.QueueNames));
        return Task.FromResult(broker);
    }

    /// <summary>Adds a queue while running, for example one per test on a shared broker.</summary>
    /// <exception cref="InvalidOperationException">A queue with that name exists.</exception>
    public void AddQueue(QueueOptions queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        queue.Validate();
        var entity = CreateEntity(queue);
        if (!_queues.TryAdd(queue.Name, entity))
        {
            entity.Dispose();
            throw new InvalidOperationException($"Queue '{queue.Name}' already exists.");
        }
    }

    /// <summary>Current message counts of a queue.</summary>
    /// <exception cref="KeyNotFoundException">No such queue.</exception>
    public QueueMessageCounts GetMessageCounts(string queueName) =>
        _queues.TryGetValue(queueName, out var queue)
            ? queue.GetCounts()
            : throw new KeyNotFoundException($"Queue '{queueName}' is not served by this broker.");

    /// <summary>Stops listening, closes client connections and drops every message.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _host.StopAsync().ConfigureAwait(false);
        foreach (var queue in _queues.Values)
        {
            queue.Dispose();
        }

        BrokerLog.Stopped(_logger);
    }

    private QueueEntity CreateEntity(QueueOptions queue) =>
        new(queue.Clone(), _time, _loggerFactory.CreateLogger("PayConnect.ServiceBusBroker.Queue"));
}
