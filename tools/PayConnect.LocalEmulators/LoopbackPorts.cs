using System.Net;
using System.Net.Sockets;

namespace PayConnect.LocalEmulators;

/// <summary>Loopback port checks for the local emulators and hosts.</summary>
public static class LoopbackPorts
{
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A port free right now (the OS picks it); the caller binds it soon after.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
