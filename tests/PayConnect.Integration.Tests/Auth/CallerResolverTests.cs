using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PayConnect.Functions.Http;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Auth;

/// <summary>Who a request is, from App Service Authentication's principal or (locally) the development identity.</summary>
public sealed class CallerResolverTests
{
    private static readonly AuthOptions AppService = new() { Mode = AuthMode.AppServiceAuthentication };

    private static readonly AuthOptions Development = new()
    {
        Mode = AuthMode.Development,
        DevelopmentFirmId = "demo-firm",
        DevelopmentUser = "dev@demo-firm.test",
        DevelopmentRole = Roles.FirmAdmin,
    };

    [Fact]
    public void Principal_WithOneFirm_IsThatFirmWithItsRolesAndName()
    {
        var caller = Resolve(AppService, Principal(("firm_id", "acme"), ("name", "ann@acme.test"), ("roles", "FirmStaff"), ("roles", "MmsSync")));

        Assert.Equal("acme", caller.Caller!.FirmId);
        Assert.Equal("ann@acme.test", caller.Caller.User);
        Assert.Equal(["FirmStaff", "MmsSync"], caller.Caller.Roles.Order());
    }

    [Fact]
    public void Principal_WithEasyAuthsLongRoleClaimType_ReadsTheRoles()
    {
        var caller = Resolve(AppService, Principal(
            roleType: "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
            ("firm_id", "acme"), ("http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "FirmAdmin")));

        Assert.Equal(["FirmAdmin"], caller.Caller!.Roles);
    }

    [Theory]
    [InlineData("acme", "birch")]
    [InlineData("acme", "acme")]
    [InlineData("acme", "")]
    public void Principal_WithMoreThanOneFirmClaim_IsRefused(string first, string second)
    {
        var caller = Resolve(AppService, Principal(("firm_id", first), ("firm_id", second), ("roles", "FirmAdmin")));

        Assert.Null(caller.Caller);
        Assert.Contains("2 firm_id claims", caller.Refusal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("eyJub3QiOiJjbGFpbXMifQ==")] // {"not":"claims"}
    public void Principal_Unreadable_IsRefused(string header)
    {
        var caller = Resolve(AppService, header);

        Assert.Null(caller.Caller);
        Assert.Contains("could not be read", caller.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Principal_WithoutFirm_IsRefused()
    {
        var caller = Resolve(AppService, Principal(("name", "ann@acme.test"), ("roles", "FirmAdmin")));

        Assert.Null(caller.Caller);
        Assert.Contains("no firm_id claim", caller.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Principal_OfAnApplication_IsNamedByItsClientId()
    {
        var caller = Resolve(AppService, Principal(("firm_id", "acme"), ("azp", "0b6f4a3e-1d55-4c3a-9d7e-5f9d3c2a1b00"), ("roles", "MmsSync")));

        Assert.Equal("0b6f4a3e-1d55-4c3a-9d7e-5f9d3c2a1b00", caller.Caller!.User);
    }

    [Fact]
    public void AppServiceMode_WithoutPrincipal_IsRefused()
    {
        var caller = Resolve(AppService, header: null);

        Assert.Null(caller.Caller);
        Assert.NotNull(caller.Refusal);
    }

    [Fact]
    public void DevelopmentMode_WithoutPrincipal_IsTheConfiguredIdentity()
    {
        var caller = Resolve(Development, header: null);

        Assert.Equal(new Caller("demo-firm", "dev@demo-firm.test", caller.Caller!.Roles), caller.Caller);
        Assert.Equal([Roles.FirmAdmin], caller.Caller.Roles);
    }

    [Fact]
    public void DevelopmentMode_WithAPrincipal_ActsAsThatFirmAndRole()
    {
        var caller = Resolve(Development, Principal(("firm_id", "other-firm"), ("name", "staff@other-firm.test"), ("roles", "FirmStaff")));

        Assert.Equal("other-firm", caller.Caller!.FirmId);
        Assert.Equal("staff@other-firm.test", caller.Caller.User);
        Assert.Equal([Roles.FirmStaff], caller.Caller.Roles);
    }

    [Fact]
    public void DevelopmentMode_WithAPrincipalOfTwoFirms_IsRefusedToo()
    {
        var caller = Resolve(Development, Principal(("firm_id", "acme"), ("firm_id", "birch")));

        Assert.Null(caller.Caller);
    }

    [Fact]
    public void TheClientsPrincipal_IsReadAsThePlatformWritesIt()
    {
        // The test client's header is the one the API tests use; it must resolve the way a real one does.
        var caller = Resolve(AppService, Client.Principal("firm-a", "FirmStaff"));

        Assert.Equal(("firm-a", "staff@firm-a.test"), (caller.Caller!.FirmId, caller.Caller.User));
    }

    internal static string Principal(params (string Type, string Value)[] claims) => Principal("roles", claims);

    internal static string Principal(string roleType, params (string Type, string Value)[] claims)
    {
        var json = JsonSerializer.Serialize(new
        {
            auth_typ = "aad",
            claims = claims.Select(c => new { typ = c.Type, val = c.Value }),
            name_typ = "name",
            role_typ = roleType,
        });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }

    private static CallerResolution Resolve(AuthOptions options, string? header)
    {
        var headers = header is null ? null : new Dictionary<string, string> { [CallerResolver.PrincipalHeader] = header };
        return new CallerResolver(Options.Create(options)).Resolve(Requests.Create("GET", "/api/firms/acme/payers", headers: headers));
    }
}
