using PayConnect.Functions.Http;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Integration.Tests.Api;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Auth;

/// <summary>The principal as the API sees it: refused before any handler runs, or acting for exactly one firm.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class PrincipalApiTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Fact]
    public async Task Principal_CarryingTwoFirms_Answers401ProblemAndChangesNothing()
    {
        await SeedFirmAsync(FirmB);
        var before = await Host.SnapshotAsync();
        var twoFirms = CallerResolverTests.Principal(("firm_id", FirmA), ("firm_id", FirmB), ("roles", Roles.FirmAdmin));

        var response = await Client.Post(
            $"/api/firms/{FirmA}/payers",
            new { name = "Sneaky AP", email = "ap@sneaky.test" },
            new Dictionary<string, string> { [CallerResolver.PrincipalHeader] = twoFirms });

        Assert.Equal(401, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains("exactly one firm", response.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task DevelopmentMode_RequestWithItsOwnPrincipal_ActsAsThatFirmAndRole()
    {
        await using var host = DevelopmentHost();
        var client = new Client(host) { FirmId = null };
        var asFirmBStaff = new Dictionary<string, string>
        {
            [CallerResolver.PrincipalHeader] = CallerResolverTests.Principal(("firm_id", FirmB), ("name", "staff@firm-b.test"), ("roles", Roles.FirmStaff)),
        };

        var created = await client.Post($"/api/firms/{FirmB}/payers", new { name = "Birch AP", email = "ap@birch.test" }, asFirmBStaff);
        var settings = await client.Put($"/api/firms/{FirmB}/settings", new { name = "B", timeZone = "America/Chicago", currency = "USD" }, asFirmBStaff);
        var ownFirm = await client.Get($"/api/firms/{FirmA}/payers", asFirmBStaff);

        Assert.Equal(201, created.Status);
        Assert.Equal(403, settings.Status); // FirmStaff, not FirmAdmin
        Assert.Equal(404, ownFirm.Status);  // the configured firm is not this caller's
    }

    [Fact]
    public async Task DevelopmentMode_RequestWithoutPrincipal_IsTheConfiguredIdentity()
    {
        await using var host = DevelopmentHost();
        var client = new Client(host) { FirmId = null };

        var settings = await client.Put($"/api/firms/{FirmA}/settings", new { name = "A", timeZone = "America/Chicago", currency = "USD" });
        var otherFirm = await client.Get($"/api/firms/{FirmB}/payers");

        Assert.Equal(200, settings.Status);
        Assert.Equal(404, otherFirm.Status);
    }

    private TestHost DevelopmentHost() => new(Emulators, settings =>
    {
        settings[AppSettings.AuthMode] = "Development";
        settings[AppSettings.AuthDevelopmentFirmId] = FirmA;
        settings[AppSettings.AuthDevelopmentUser] = "dev@firm-a.test";
        settings[AppSettings.AuthDevelopmentRole] = Roles.FirmAdmin;
    });
}
