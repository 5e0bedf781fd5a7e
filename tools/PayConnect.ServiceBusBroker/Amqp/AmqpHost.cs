using System.Collections.Concurrent;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Azure.Amqp.Sasl;
using Microsoft.Azure.Amqp.Transport;
using Microsoft.Extensions.Logging;
using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// The AMQP side of the broker: accepts connections (SASL with the "MSSBCBS" anonymous mechanism the Service
/// Bus client offers, then AMQP 1.0) and, as the library's runtime provider, creates and routes every link the
/// client attaches: $cbs, a queue's $management node, a send link to a queue, or a receive link from a queue
/// or its dead-letter sub-queue.
/// </summary>
internal sealed class AmqpHost : IRuntimeProvider
{
    private const string CbsSaslMechanism = "MSSBCBS";
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly IReadOnlyDictionary<string, QueueEntity> _queues;
    private readonly ulong _maxMessageSize;
    private readonly ILogger _logger;
    private readonly RequestResponse _requestResponse = new();
    private readonly CbsNode _cbs;
    private readonly ManagementNode _management;
    private readonly ConcurrentDictionary<AmqpConnection, byte> _connections = new();
    private readonly AmqpSettings _settings;
    private readonly int _requestedPort;
    private AmqpTransportListener? _listener;

    public AmqpHost(int port, IReadOnlyDictionary<string, QueueEntity> queues, long maxMessageSize, ILogger logger)
    {
        _queues = queues;
        _maxMessageSize = (ulong)maxMessageSize;
        _logger = logger;
        _cbs = new CbsNode(logger);
        _management = new ManagementNode(logger);

        var sasl = new SaslTransportProvider();
        sasl.Versions.Add(new AmqpVersion(1, 0, 0));
        sasl.AddHandler(new SaslAnonymousHandler(CbsSaslMechanism));
        sasl.AddHandler(new SaslAnonymousHandler());
        var amqp = new AmqpTransportProvider();
        amqp.Versions.Add(new AmqpVersion(1, 0, 0));
        _settings = new AmqpSettings { RuntimeProvider = this, AllowAnonymousConnection = true };
        _settings.TransportProviders.Add(sasl);
        _settings.TransportProviders.Add(amqp);
        _requestedPort = port;
    }

    /// <summary>The bound port, known once <see cref="Start"/> returned.</summary>
    public int Port { get; private set; }

    public void Start() => (_listener, Port) = LoopbackListener.Listen(_requestedPort, _settings, OnTransportAccepted);

    /// <summary>Stops accepting, then closes every connection (aborting those that do not answer promptly).</summary>
    public async Task StopAsync()
    {
        _listener?.SafeClose();
        var connections = _connections.Keys.ToArray();
        await Task.WhenAll(connections.Select(CloseConnectionAsync)).ConfigureAwait(false);
    }

    public AmqpConnection CreateConnection(TransportBase transport, ProtocolHeader protocolHeader, bool isInitiator, AmqpSettings amqpSettings, AmqpConnectionSettings connectionSettings) =>
        new(transport, protocolHeader, isInitiator, amqpSettings, connectionSettings);

    public AmqpSession CreateSession(AmqpConnection connection, AmqpSessionSettings settings) =>
        throw new NotSupportedException("Sessions are created by the connection when the client begins one.");

    /// <summary>Role true: the client sends, so this end receives.</summary>
    public AmqpLink CreateLink(AmqpSession session, AmqpLinkSettings settings) =>
        settings.Role == true ? new ReceivingAmqpLink(session, settings) : new SendingAmqpLink(session, settings);

    public IAsyncResult BeginOpenLink(AmqpLink link, TimeSpan timeout, AsyncCallback callback, object state)
    {
        AttachLink(link);
        var opened = new TaskCompletionSource(state);
        opened.SetResult();
        callback(opened.Task);
        return opened.Task;
    }

    public void EndOpenLink(IAsyncResult result) => ((Task)result).GetAwaiter().GetResult();

    private void AttachLink(AmqpLink link)
    {
        var address = link.IsReceiver
            ? (link.Settings.Target as Target)?.Address?.ToString()
            : (link.Settings.Source as Source)?.Address?.ToString();
        try
        {
            Route(link, address);
            BrokerLog.LinkAttached(_logger, link.Name, address ?? "", link.IsReceiver ? "receiver" : "sender");
        }
        catch (AmqpException ex)
        {
            BrokerLog.LinkRefused(_logger, link.Name, address ?? "", ex.Message);
            throw;
        }
    }

    private void Route(AmqpLink link, string? address)
    {
        if (!EntityAddress.TryParse(address, out var entity))
        {
            throw new AmqpException(AmqpErrors.NotFound, $"The messaging entity '{address}' could not be found.");
        }

        if (entity.IsCbs)
        {
            ServeRequests(link, _cbs.Handle);
            return;
        }

        if (!_queues.TryGetValue(entity.QueueName, out var queue))
        {
            throw new AmqpException(AmqpErrors.NotFound, $"The messaging entity 'sb://localhost:{Port}/{entity.QueueName}' could not be found.");
        }

        if (entity.IsManagement)
        {
            ServeRequests(link, request => _management.Handle(queue, entity.SubQueue, request));
        }
        else if (link is ReceivingAmqpLink sendLink)
        {
            if (entity.SubQueue == SubQueueKind.DeadLetter)
            {
                throw new AmqpException(AmqpErrors.NotAllowed, "Messages cannot be sent to a dead-letter queue.");
            }

            // Our attach answers the client's only after this returns; its sender needs MaxMessageSize to send at all.
            sendLink.Settings.MaxMessageSize = _maxMessageSize;
            ProducerLink.Start(sendLink, queue, _logger);
        }
        else if (link is SendingAmqpLink receiveLink)
        {
            if ((link.Settings.Source as Source)?.FilterSet is { Count: > 0 })
            {
                throw new AmqpException(AmqpErrors.NotImplemented, "Sessions and filters are not supported by the local broker.");
            }

            new ConsumerLink(receiveLink, queue, entity.SubQueue, _logger).Start();
        }
    }

    private void ServeRequests(AmqpLink link, Func<AmqpMessage, AmqpMessage> handle)
    {
        switch (link)
        {
            case ReceivingAmqpLink requests:
                _requestResponse.Serve(requests, handle);
                break;
            case SendingAmqpLink replies:
                _requestResponse.AddReplyLink(replies);
                break;
        }
    }

    private void OnTransportAccepted(TransportListener listener, TransportAsyncCallbackArgs args)
    {
        var connectionSettings = new AmqpConnectionSettings
        {
            ContainerId = "payconnect-local-servicebus",
            MaxFrameSize = 64 * 1024,
        };

        AmqpConnection connection;
        try
        {
            connection = CreateConnection(args.Transport, (ProtocolHeader)args.UserToken, false, _settings, connectionSettings);
        }
        catch (Exception ex) when (ex is AmqpException or InvalidOperationException or ObjectDisposedException)
        {
            BrokerLog.ConnectionOpenFailed(_logger, ex);
            args.Transport.SafeClose(ex);
            return;
        }

        _connections.TryAdd(connection, 0);
        connection.Closed += (_, _) =>
        {
            _connections.TryRemove(connection, out _);
            BrokerLog.ConnectionClosed(_logger, connection.Identifier.ToString());
        };
        _ = OpenConnectionAsync(connection);
    }

    private async Task OpenConnectionAsync(AmqpConnection connection)
    {
        try
        {
            await connection.OpenAsync(OpenTimeout).ConfigureAwait(false);
            BrokerLog.ConnectionOpened(_logger, connection.Identifier.ToString(), connection.Settings.RemoteContainerId);
        }
        catch (Exception ex) when (ex is AmqpException or TimeoutException or OperationCanceledException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            BrokerLog.ConnectionOpenFailed(_logger, ex);
            connection.SafeClose(ex);
        }
    }

    private static async Task CloseConnectionAsync(AmqpConnection connection)
    {
        try
        {
            await connection.CloseAsync(CloseTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmqpException or TimeoutException or OperationCanceledException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            connection.Abort();
        }
    }
}
