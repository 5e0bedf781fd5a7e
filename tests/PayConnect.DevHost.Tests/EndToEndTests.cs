using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.DevHost.Tests;

/// <summary>The dev host as a developer runs it: the real functions, Azurite started by the dev host.</summary>
public sealed class EndToEndTests
{
    [Fact]
    public async Task Health_OnTheDevHostWithAzurite_ReportsTableStorageHealthy()
    {
        var output = new StringWriter();
        var app = await DevHostApp.BuildAsync(["--port", "0", "--in-memory"], output);
        int azuritePort;
        try
        {
            azuritePort = new Uri((string)new DbConnectionStringBuilder { ConnectionString = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString }["TableEndpoint"]).Port;
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

            using var response = await client.GetAsync("api/health");

            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("Healthy", (string?)body["dependencies"]!["tableStorage"]!["status"]);

            // The dev host starts the local broker too, so both dependencies answer.
            Assert.Equal("Healthy", (string?)body["dependencies"]!["serviceBus"]!["status"]);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", (string?)body["status"]);
            Assert.Contains($"Starting Azurite on 127.0.0.1:{azuritePort} … ready, data in memory", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("GET /api/health", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, azuritePort));
    }
}
