using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PayConnect.DevHost;
using PayConnect.DevHost.Development;

namespace PayConnect.Walkthrough.Tests;

/// <summary>
/// One dev host for the class, as <c>bash tools/run-local.sh</c> runs it (the real functions, Azurite in memory, the
/// local broker, the timers), seeded with the demo firm; its mail sink is a folder of its own.
/// </summary>
public sealed class DevHostFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _mail = Directory.CreateTempSubdirectory("payconnect-walkthrough-mail-");
    private Microsoft.AspNetCore.Builder.WebApplication? _app;

    public HttpClient Http { get; private set; } = null!;

    public string MailFolder => _mail.FullName;

    public StringWriter SeedOutput { get; } = new();

    public async Task InitializeAsync()
    {
        // A free Azurite port of our own: other test projects start the dev host (default 10002) at the same time.
        _app = await DevHostApp.BuildAsync(["--port", "0", "--in-memory", "--azurite-port", FreePort().ToString(CultureInfo.InvariantCulture), "--mail-dir", _mail.FullName]);
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(_app.Urls.Single() + "/"), Timeout = TimeSpan.FromMinutes(2) };
        await new DemoSeed(Http, SeedOutput).RunAsync();
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _mail.Delete(recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
