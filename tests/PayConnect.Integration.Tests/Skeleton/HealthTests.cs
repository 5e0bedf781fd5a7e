using Microsoft.Extensions.DependencyInjection;
using PayConnect.Functions.Health;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Skeleton;

[Collection(EmulatorCollection.Name)]
public sealed class HealthTests(Emulators emulators)
{
    [Fact]
    public async Task Health_WithBothEmulatorsUp_Answers200Healthy()
    {
        await using var host = new TestHost(emulators);
        var request = Requests.Create("GET", "/api/health", services: host.Services);

        var response = await Responses.ReadAsync(await host.Function<HealthFunction>().Run(request, CancellationToken.None), request);

        Assert.Equal(200, response.Status);
        Assert.Equal("Healthy", response.Json!["dependencies"]!["tableStorage"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", response.Json!["dependencies"]!["serviceBus"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_WithServiceBusUnreachable_Answers503NamingIt()
    {
        await using var host = new TestHost(emulators, settings => settings[AppSettings.ServiceBusConnectionString] =
            "Endpoint=sb://localhost:1;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true");
        var request = Requests.Create("GET", "/api/health", services: host.Services);

        var response = await Responses.ReadAsync(await host.Function<HealthFunction>().Run(request, CancellationToken.None), request);

        Assert.Equal(503, response.Status);
        Assert.Equal("Healthy", response.Json!["dependencies"]!["tableStorage"]!["status"]!.GetValue<string>());
        Assert.Equal("Unhealthy", response.Json!["dependencies"]!["serviceBus"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_WithTableStorageUnreachable_Answers503NamingIt()
    {
        await using var host = new TestHost(emulators, services: s => s.AddSingleton(new PayConnect.Infrastructure.Storage.TableStorage(
            new Azure.Data.Tables.TableServiceClient(emulators.Azurite.ConnectionString.Replace($":{emulators.Azurite.Port}/", ":1/", StringComparison.Ordinal)))));
        var request = Requests.Create("GET", "/api/health", services: host.Services);

        var response = await Responses.ReadAsync(await host.Function<HealthFunction>().Run(request, CancellationToken.None), request);

        Assert.Equal(503, response.Status);
        Assert.Equal("Unhealthy", response.Json!["dependencies"]!["tableStorage"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_WhenDependenciesFail_SaysNothingButAStatusPerDependency()
    {
        // Anonymous in Azure: an unreachable endpoint must not leak its host, port, keys or the exception text.
        var storage = emulators.Azurite.ConnectionString.Replace($":{emulators.Azurite.Port}/", ":1/", StringComparison.Ordinal);
        await using var host = new TestHost(
            emulators,
            settings => settings[AppSettings.ServiceBusConnectionString] = "Endpoint=sb://localhost:1;SharedAccessKeyName=local;SharedAccessKey=c2VjcmV0;UseDevelopmentEmulator=true",
            services: s => s.AddSingleton(new PayConnect.Infrastructure.Storage.TableStorage(new Azure.Data.Tables.TableServiceClient(storage))));
        var request = Requests.Create("GET", "/api/health", services: host.Services);

        var response = await Responses.ReadAsync(await host.Function<HealthFunction>().Run(request, CancellationToken.None), request);

        Assert.Equal(503, response.Status);
        var body = response.Json!.AsObject();
        Assert.Equal(["backlog", "degraded", "dependencies", "status"], body.Select(p => p.Key).Order());
        Assert.Equal("Unhealthy", body["status"]!.GetValue<string>());
        Assert.All(body["dependencies"]!.AsObject(), d => Assert.Equal(["status"], d.Value!.AsObject().Select(p => p.Key)));

        // The backlog is figures only; those that could not be read are null.
        Assert.All(body["backlog"]!.AsObject(), b => Assert.True(b.Value is null || b.Value.GetValueKind() == System.Text.Json.JsonValueKind.Number, b.Key));
        Assert.Null(body["backlog"]!["deadLetterDepth"]);
        Assert.Null(body["backlog"]!["outboxPending"]);
        foreach (var leak in new[] { "localhost", "127.0.0.1", "devstoreaccount1", "c2VjcmV0", "Exception", "Endpoint", ":1" })
        {
            Assert.DoesNotContain(leak, response.Body, StringComparison.OrdinalIgnoreCase);
        }
    }
}
