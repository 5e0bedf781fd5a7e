using PayConnect.Adapters.Tests.Mms;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>A firm that reads its MMS from its own HTTP endpoint (a local fake that verifies our signatures).</summary>
[Collection(EmulatorCollection.Name)]
public sealed class MmsHttpConnectorApiTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    private const string Secret = "harbor-firm-shared-secret-0123456789";

    private FakeMmsServer mms = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        mms = await FakeMmsServer.StartAsync(Secret, "/payconnect");
        mms.Clients.Add(new("H-1", "Harbor Partners"));
        mms.Matters.Add(new("HM-1", "Harbor Lease", "H-1"));
        mms.Invoices.Add(new("HINV-1", "H-1", "HM-1", "2026-02-01", "2026-03-01", "640.10", "640.10"));
    }

    public override async Task DisposeAsync()
    {
        await mms.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Search_FirmOnHttpConnector_ReturnsTheEndpointsDataNotTheMirrors()
    {
        await UseHttpConnectorAsync();

        var harbor = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientName&q=harbor"), 200).Json!["items"]!.AsArray();
        var mirrored = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientName&q=acme"), 200).Json!["items"]!.AsArray();
        var invoice = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=InvoiceNumber&q=hinv"), 200).Json!["items"]![0]!;

        Assert.Equal("H-1 Harbor Partners", Assert.Single(harbor)!["displayName"]!.GetValue<string>());
        Assert.Empty(mirrored);
        Assert.Equal(64010, invoice["outstandingMinor"]!.GetValue<long>());
        Assert.All(mms.Requests, r => Assert.True(r.SignatureValid));
        Assert.All(mms.Requests, r => Assert.Equal(FirmA, r.Firm));
    }

    [Fact]
    public async Task CreateAssociations_FirmOnHttpConnector_LooksTheScopeUpAtTheEndpoint()
    {
        await UseHttpConnectorAsync();
        var payerId = await CreatePayerAsync();

        var created = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new { items = new[] { new { level = "Matter", number = "hm-1" } } }), 201);

        Assert.Equal("HM-1 Harbor Lease", created.Json!["items"]![0]!["displayName"]!.GetValue<string>());
        Assert.Contains(mms.Requests, r => r.Target == "/payconnect/matters?number=hm-1");
    }

    [Fact]
    public async Task Search_EndpointDown_Answers503WithTheReasonAndRetryAfter()
    {
        await UseHttpConnectorAsync();
        for (var i = 0; i < 3; i++)
        {
            mms.ThenFail(503);
        }

        var response = await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientName&q=harbor");

        Assert.Equal(503, response.Status);
        Assert.Equal("30", response.Headers.RetryAfter.ToString());
        Assert.Contains("answered 503", response.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAssociations_EndpointDown_Answers503AndCreatesNothing()
    {
        await UseHttpConnectorAsync();
        var payerId = await CreatePayerAsync();
        for (var i = 0; i < 3; i++)
        {
            mms.ThenFail(500);
        }

        var before = await Host.SnapshotAsync();
        var response = await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new { items = new[] { new { level = "Client", number = "H-1" } } });

        Assert.Equal(503, response.Status);
        Assert.Equal("30", response.Headers.RetryAfter.ToString());
        Assert.Contains("could not be reached", response.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task GetSettings_NeverReturnsTheSecret_OnlyWhetherItIsSet()
    {
        var put = await UseHttpConnectorAsync();
        var got = Ok(await Client.Get($"/api/firms/{FirmA}/settings"), 200);

        foreach (var response in new[] { put, got })
        {
            Assert.DoesNotContain(Secret, response.Body, StringComparison.Ordinal);
            Assert.Null(response.Json!["mmsSharedSecret"]);
            Assert.True(response.Json!["mmsSharedSecretSet"]!.GetValue<bool>());
            Assert.Equal("Http", response.Json!["mmsConnector"]!.GetValue<string>());
            Assert.Equal(mms.BaseUrl, response.Json!["mmsBaseUrl"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task PutSettings_WithoutTheSecretForTheSameBaseUrl_KeepsTheStoredSecret()
    {
        await UseHttpConnectorAsync();

        var again = Ok(await Client.Put($"/api/firms/{FirmA}/settings", Settings(new { mmsConnector = "Http", mmsBaseUrl = mms.BaseUrl })), 200);
        Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientNumber&q=H"), 200);

        Assert.True(again.Json!["mmsSharedSecretSet"]!.GetValue<bool>());
        Assert.True(Assert.Single(mms.Requests).SignatureValid);
    }

    [Fact]
    public async Task PutSettings_BackToMirror_ForgetsTheConnection()
    {
        await UseHttpConnectorAsync();

        var mirror = Ok(await Client.Put($"/api/firms/{FirmA}/settings", Settings(new { mmsConnector = "Mirror" })), 200).Json!;
        var acme = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientName&q=acme"), 200).Json!["items"]!.AsArray();

        Assert.Equal("Mirror", mirror["mmsConnector"]!.GetValue<string>());
        Assert.False(mirror["mmsSharedSecretSet"]!.GetValue<bool>());
        Assert.Null(mirror["mmsBaseUrl"]);
        Assert.NotEmpty(acme);
        Assert.Empty(mms.Requests);
    }

    [Fact]
    public async Task GetSettings_FirmWithoutAConnection_IsOnTheMirror()
    {
        var got = Ok(await Client.Get($"/api/firms/{FirmA}/settings"), 200).Json!;

        Assert.Equal("Mirror", got["mmsConnector"]!.GetValue<string>());
        Assert.False(got["mmsSharedSecretSet"]!.GetValue<bool>());
    }

    public static TheoryData<string, object, string> BadConnections => new()
    {
        { "plain http to a remote host", new { mmsConnector = "Http", mmsBaseUrl = "http://mms.smithjones.example", mmsSharedSecret = Secret }, "mmsBaseUrl" },
        { "not a URL", new { mmsConnector = "Http", mmsBaseUrl = "mms.smithjones.example", mmsSharedSecret = Secret }, "mmsBaseUrl" },
        { "URL with a query", new { mmsConnector = "Http", mmsBaseUrl = "https://mms.smithjones.example/?key=1", mmsSharedSecret = Secret }, "mmsBaseUrl" },
        { "no base URL", new { mmsConnector = "Http", mmsSharedSecret = Secret }, "mmsBaseUrl" },
        { "no secret", new { mmsConnector = "Http", mmsBaseUrl = "https://mms.smithjones.example" }, "mmsSharedSecret" },
        { "short secret", new { mmsConnector = "Http", mmsBaseUrl = "https://mms.smithjones.example", mmsSharedSecret = "hunter2" }, "mmsSharedSecret" },
        { "unknown connector", new { mmsConnector = "Ftp" }, "mmsConnector" },
        { "mirror with a base URL", new { mmsConnector = "Mirror", mmsBaseUrl = "https://mms.smithjones.example" }, "mmsBaseUrl" },
    };

    [Theory]
    [MemberData(nameof(BadConnections))]
    public async Task PutSettings_BadConnection_Is400WithTheFieldAndChangesNothing(string why, object connection, string field)
    {
        var before = await Host.SnapshotAsync();

        var response = await Client.Put($"/api/firms/{FirmA}/settings", Settings(connection));

        Assert.True(response.Status == 400, $"{why}: {response}");
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.NotNull(response.Json!["errors"]![field]);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task PutSettings_NewBaseUrlWithoutASecret_IsRejectedRatherThanReusingTheOldOne()
    {
        await UseHttpConnectorAsync();

        var response = await Client.Put($"/api/firms/{FirmA}/settings", Settings(new { mmsConnector = "Http", mmsBaseUrl = "https://elsewhere.example" }));

        Assert.Equal(400, response.Status);
        Assert.NotNull(response.Json!["errors"]!["mmsSharedSecret"]);
    }

    private static Dictionary<string, object?> Settings(object connection)
    {
        var body = new Dictionary<string, object?> { ["name"] = "Smith & Jones LLP", ["timeZone"] = "America/Chicago", ["currency"] = "USD" };
        foreach (var property in connection.GetType().GetProperties())
        {
            body[property.Name] = property.GetValue(connection);
        }

        return body;
    }

    private async Task<HttpResponseData> UseHttpConnectorAsync() =>
        Ok(await Client.Put($"/api/firms/{FirmA}/settings", Settings(new { mmsConnector = "Http", mmsBaseUrl = mms.BaseUrl, mmsSharedSecret = Secret })), 200);
}
