using System.Net;
using System.Net.Sockets;

namespace PayConnect.Infrastructure.Mms;

/// <summary>
/// Where the HTTP MMS connector may connect. A firm admin chooses the base URL, so the address it resolves to is
/// checked at connect time (after DNS, so a name cannot be re-pointed past the check): private, link-local (the
/// cloud metadata endpoint), shared, multicast and unspecified addresses are refused, and loopback too unless
/// allowed (local development and tests, whose fake MMS listens on 127.0.0.1).
/// </summary>
public sealed record MmsNetworkPolicy(bool AllowLoopback)
{
    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return AllowLoopback;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (bytes[0] & 0xFE) == 0xFC // fc00::/7 unique local
                || address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any));
        }

        var b = address.GetAddressBytes();
        return !(b[0] == 0 // 0.0.0.0/8
            || b[0] == 10
            || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
            || b[0] >= 224); // multicast and reserved
    }

    /// <summary>A connect callback for SocketsHttpHandler that resolves the host and connects only to allowed addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"The MMS endpoint '{endpoint.Host}' resolves to an address PayConnect does not connect to.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
