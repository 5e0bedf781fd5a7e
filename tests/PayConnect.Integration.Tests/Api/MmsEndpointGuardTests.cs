using Microsoft.Extensions.DependencyInjection;
using PayConnect.Adapters.Tests.Mms;
using PayConnect.Infrastructure.Mms;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>Outside local development a firm's MMS endpoint may not point PayConnect at its own host.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class MmsEndpointGuardTests(Emulators emulators)
{
    [Fact]
    public async Task Search_EndpointOnLoopbackOutsideDevelopment_IsRefusedBeforeAnyRequest()
    {
        const string secret = "guard-firm-shared-secret-0123456789";
        await using var mms = await FakeMmsServer.StartAsync(secret, "/payconnect");
        await using var host = new TestHost(emulators, services: s => s.AddSingleton(new MmsNetworkPolicy(AllowLoopback: false)));
        var client = new Client(host) { FirmId = "firm-g" };
        var settings = await client.Put("/api/firms/firm-g/settings", new
        {
            name = "Guarded",
            timeZone = "America/Chicago",
            mmsConnector = "Http",
            mmsBaseUrl = mms.BaseUrl,
            mmsSharedSecret = secret,
        });

        var search = await client.Get("/api/firms/firm-g/mms/search?by=ClientName&q=any");

        Assert.Equal(200, settings.Status);
        Assert.Equal(503, search.Status);
        Assert.Empty(mms.Requests);
    }
}
