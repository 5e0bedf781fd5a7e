using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PayConnect.Adapters.Tests.Email;

/// <summary>
/// A minimal SMTP server on 127.0.0.1 (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS) that
/// captures what it receives.
/// </summary>
internal sealed class FakeSmtpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private Task acceptLoop = Task.CompletedTask;

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Advertise AUTH PLAIN in the EHLO answer.</summary>
    public bool AdvertiseAuth { get; init; }

    /// <summary>The reply to RCPT TO for an address; 250 by default.</summary>
    public Func<string, string> RcptReply { get; init; } = _ => "250 2.1.5 OK";

    public ConcurrentQueue<CapturedMail> Messages { get; } = new();

    /// <summary>user:password pairs received with AUTH PLAIN.</summary>
    public ConcurrentQueue<string> Logins { get; } = new();

    public ConcurrentQueue<string> Commands { get; } = new();

    public static FakeSmtpServer Start(bool advertiseAuth = false, Func<string, string>? rcptReply = null)
    {
        var server = new FakeSmtpServer { AdvertiseAuth = advertiseAuth, RcptReply = rcptReply ?? (_ => "250 2.1.5 OK") };
        server.listener.Start();
        server.acceptLoop = server.AcceptAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();

            // Latin-1 maps bytes to chars one to one, so the captured message is byte-exact.
            using var reader = new StreamReader(stream, Encoding.Latin1);
            await using var writer = new StreamWriter(stream, Encoding.Latin1) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 fake.smtp.test ESMTP ready");
            string? from = null;
            var rcpts = new List<string>();
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                Commands.Enqueue(line);
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                var argument = line.Length > verb.Length ? line[(verb.Length + 1)..] : string.Empty;
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-fake.smtp.test");
                        if (AdvertiseAuth)
                        {
                            await writer.WriteLineAsync("250-AUTH PLAIN");
                        }

                        await writer.WriteLineAsync("250 HELP");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 fake.smtp.test");
                        break;
                    case "AUTH":
                        var parts = argument.Split(' ', 2);
                        var initial = parts.Length > 1 ? parts[1] : null;
                        if (initial is null)
                        {
                            await writer.WriteLineAsync("334 ");
                            initial = await reader.ReadLineAsync(stop.Token);
                        }

                        var fields = Encoding.UTF8.GetString(Convert.FromBase64String(initial ?? string.Empty)).Split('\0');
                        Logins.Enqueue($"{fields[1]}:{fields[2]}");
                        await writer.WriteLineAsync("235 2.7.0 Authentication successful");
                        break;
                    case "MAIL":
                        from = Address(argument);
                        rcpts.Clear();
                        await writer.WriteLineAsync("250 2.1.0 OK");
                        break;
                    case "RCPT":
                        var address = Address(argument);
                        var reply = RcptReply(address);
                        if (reply.StartsWith('2'))
                        {
                            rcpts.Add(address);
                        }

                        await writer.WriteLineAsync(reply);
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        Messages.Enqueue(new CapturedMail(from ?? string.Empty, rcpts.ToArray(), Encoding.Latin1.GetBytes(data.ToString())));
                        await writer.WriteLineAsync("250 2.0.0 queued");
                        break;
                    case "RSET":
                    case "NOOP":
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 Command not implemented");
                        break;
                }
            }
        }
    }

    // "FROM:<a@b> SIZE=123" -> "a@b"
    private static string Address(string argument)
    {
        var start = argument.IndexOf('<', StringComparison.Ordinal);
        var end = argument.IndexOf('>', StringComparison.Ordinal);
        return start >= 0 && end > start ? argument[(start + 1)..end] : argument;
    }
}

internal sealed record CapturedMail(string MailFrom, string[] RcptTo, byte[] Data);
