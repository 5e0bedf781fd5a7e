using System.Text.Json.Nodes;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

[Collection(EmulatorCollection.Name)]
public sealed class OpenApiTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Fact]
    public async Task OpenApi_ServedDocument_IsTheCheckedInFile()
    {
        var served = Ok(await Client.Get("/api/openapi.json"), 200);

        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "openapi.json")), served.Body);
    }

    [Fact]
    public void OpenApi_DescribesExactlyTheFunctionRoutesAndMethods()
    {
        var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "openapi.json")))!;
        var documented = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key} {m.Value!["operationId"]}"))
            .Order(StringComparer.Ordinal).ToList();
        var routed = HttpFunction.All
            .SelectMany(f => f.Methods.Select(m => $"{m} /{f.Route} {f.Name}"))
            .Order(StringComparer.Ordinal).ToList();

        Assert.Equal(routed, documented);
    }
}
