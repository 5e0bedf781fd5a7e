using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>For every firm route: no identity is 401; a caller from another firm gets 404 and never data.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class AccessTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    public static TheoryData<string> FirmRoutes()
    {
        var data = new TheoryData<string>();
        foreach (var f in HttpFunction.All.Where(f => f.Route.StartsWith("firms/{firmId}", StringComparison.Ordinal)))
        {
            data.Add(f.Name);
        }

        return data;
    }

    [Fact]
    public void EveryHttpFunctionButHealthOpenApiSignedGatewayEventsAndUnsubscribeLinks_IsScopedToAFirm()
    {
        // Gateway events carry no identity: each is accepted only when signed with the webhook secret (GatewayEventsEngineTests).
        // The unsubscribe page and its button act only on what the link's signed token names (AuthorizationLifecycleTests).
        var unscoped = HttpFunction.All.Where(f => !f.Route.StartsWith("firms/{firmId}", StringComparison.Ordinal)).Select(f => f.Name).Order().ToList();
        Assert.Equal(["GetOpenApi", "Health", "ReceiveGatewayEvent", "ShowUnsubscribe", "Unsubscribe"], unscoped);
    }

    [Theory]
    [MemberData(nameof(FirmRoutes))]
    public async Task Route_WithoutIdentity_Answers401(string functionName)
    {
        var function = HttpFunction.Named(functionName);
        Client.FirmId = null;

        var response = await Client.Invoke(function, function.Methods[0], "/api/" + function.Route, "{}", RouteValues(function, FirmA));

        Assert.Equal(401, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Theory]
    [MemberData(nameof(FirmRoutes))]
    public async Task Route_ForAnotherFirmsRecords_Answers404WithoutData(string functionName)
    {
        await SeedFirmAsync(FirmB);
        var function = HttpFunction.Named(functionName);
        Client.FirmId = FirmA;
        var before = await Host.SnapshotAsync();

        var response = await Client.Invoke(function, function.Methods[0], "/api/" + function.Route.Replace("{firmId}", FirmB), "{}", RouteValues(function, FirmB));

        Assert.Equal(404, response.Status);
        Assert.DoesNotContain("Acme", response.Body, StringComparison.Ordinal);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    private static Dictionary<string, string> RouteValues(HttpFunction function, string firmId) =>
        function.Method.GetParameters().Where(p => p.ParameterType == typeof(string)).ToDictionary(p => p.Name!, p => p.Name == "firmId" ? firmId : "x1");
}
