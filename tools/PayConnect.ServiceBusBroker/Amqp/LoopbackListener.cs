using System.Net;
using System.Net.Sockets;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Transport;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// Listens on 127.0.0.1 and ::1 (the client resolves "localhost" and may try either) on one port.
/// The library's TCP listener binds every interface for "localhost" and cannot report the port it got for
/// port 0, so it is given explicit loopback addresses and, for port 0, a port probed beforehand; losing the
/// race for that port to another process just means trying another one.
/// </summary>
internal static class LoopbackListener
{
    private const int Attempts = 20;

    public static (AmqpTransportListener Listener, int Port) Listen(
        int requestedPort,
        AmqpSettings settings,
        Action<TransportListener, TransportAsyncCallbackArgs> onAccepted)
    {
        var useIPv6 = Socket.OSSupportsIPv6;
        for (var attempt = 1; ; attempt++)
        {
            var port = requestedPort != 0 ? requestedPort : ProbeFreePort();
            var listeners = new List<TransportListener> { CreateTcpListener(IPAddress.Loopback, port) };
            if (useIPv6)
            {
                listeners.Add(CreateTcpListener(IPAddress.IPv6Loopback, port));
            }

            var listener = new AmqpTransportListener(listeners, settings);
            try
            {
                listener.Listen(onAccepted);
                return (listener, port);
            }
            catch (Exception ex) when (FindSocketError(ex) is { } error)
            {
                listener.Abort();
                if (useIPv6 && error is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
                {
                    // No IPv6 loopback here: IPv4 only (the client falls back to 127.0.0.1).
                    useIPv6 = false;
                    attempt--;
                }
                else if (!(error == SocketError.AddressAlreadyInUse && requestedPort == 0 && attempt < Attempts))
                {
                    throw;
                }
            }
        }
    }

    private static TransportListener CreateTcpListener(IPAddress address, int port) =>
        new TcpTransportSettings { Host = address.ToString(), Port = port }.CreateListener();

    private static int ProbeFreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static SocketError? FindSocketError(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException socketException)
            {
                return socketException.SocketErrorCode;
            }
        }

        return null;
    }
}
