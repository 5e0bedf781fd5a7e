using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Functions.Http;

/// <summary>Who is calling: one firm, a user name and roles.</summary>
public sealed record Caller(string FirmId, string User, IReadOnlySet<string> Roles);

/// <summary>The caller, or why the request has none (the detail of its 401).</summary>
public sealed record CallerResolution(Caller? Caller, string? Refusal)
{
    public static CallerResolution Found(Caller caller) => new(caller, null);

    public static CallerResolution Refused(string reason) => new(null, reason);
}

/// <summary>Roles a caller may hold.</summary>
public static class Roles
{
    public const string FirmAdmin = "FirmAdmin";
    public const string FirmStaff = "FirmStaff";
    public const string MmsSync = "MmsSync";

    public static readonly string[] All = [FirmAdmin, FirmStaff, MmsSync];
    public static readonly string[] Staff = [FirmAdmin, FirmStaff];
    public static readonly string[] Admin = [FirmAdmin];
    public static readonly string[] Sync = [FirmAdmin, MmsSync];
}

/// <summary>
/// Resolves the caller. In Azure, App Service Authentication validates the token and forwards the principal in
/// <c>X-MS-CLIENT-PRINCIPAL</c> (base64 JSON claims); the firm comes from the one <c>firm_id</c> claim and roles from
/// the role claims. Locally (<c>Auth__Mode=Development</c>, refused in Azure) a request may bring its own
/// <c>X-MS-CLIENT-PRINCIPAL</c> to act as another firm or role; without one, the identity from settings applies.
/// </summary>
public sealed class CallerResolver(IOptions<AuthOptions> options)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    public const string FirmClaim = "firm_id";

    public CallerResolution Resolve(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var auth = options.Value;
        var headers = request.Headers.TryGetValue(PrincipalHeader, out var values) ? values : default;
        if (headers.Count == 0 || headers.All(string.IsNullOrWhiteSpace))
        {
            return auth.IsDevelopment
                ? CallerResolution.Found(new Caller(
                    auth.DevelopmentFirmId!.Trim(),
                    string.IsNullOrWhiteSpace(auth.DevelopmentUser) ? "developer" : auth.DevelopmentUser.Trim(),
                    new HashSet<string>([string.IsNullOrWhiteSpace(auth.DevelopmentRole) ? Roles.FirmAdmin : auth.DevelopmentRole.Trim()], StringComparer.Ordinal)))
                : CallerResolution.Refused("Sign in; the request carried no identity.");
        }

        return headers.Count > 1
            ? CallerResolution.Refused($"The request carried more than one {PrincipalHeader} header.")
            : FromPrincipal(headers.ToString());
    }

    /// <summary>Reads an App Service Authentication principal: base64 JSON with <c>claims</c> of <c>typ</c>/<c>val</c>.</summary>
    public static CallerResolution FromPrincipal(string encoded)
    {
        try
        {
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded.Trim())));
            var root = doc.RootElement;
            var roleType = root.TryGetProperty("role_typ", out var rt) ? rt.GetString() : "roles";
            var nameType = root.TryGetProperty("name_typ", out var nt) ? nt.GetString() : "name";
            var firms = new List<string>();
            string? name = null, application = null;
            var roles = new HashSet<string>(StringComparer.Ordinal);
            foreach (var claim in root.GetProperty("claims").EnumerateArray())
            {
                var type = claim.GetProperty("typ").GetString();
                var value = claim.GetProperty("val").GetString();
                if (type == FirmClaim)
                {
                    // Counted whatever the value: an identity that names two firms (or a firm and an empty one) is ambiguous.
                    firms.Add(value ?? string.Empty);
                }
                else if (value is null)
                {
                    continue;
                }
                else if (type == roleType || type == "roles")
                {
                    roles.Add(value);
                }
                else if (type == nameType)
                {
                    name = value;
                }
                else if (type is "azp" or "appid")
                {
                    application ??= value;
                }
            }

            return firms.Count switch
            {
                0 => CallerResolution.Refused($"The identity carries no {FirmClaim} claim; an administrator assigns each user and sync agent one firm."),
                > 1 => CallerResolution.Refused($"The identity carries {firms.Count} {FirmClaim} claims; a caller acts for exactly one firm."),
                _ when string.IsNullOrWhiteSpace(firms[0]) => CallerResolution.Refused($"The identity's {FirmClaim} claim is empty."),
                _ => CallerResolution.Found(new Caller(firms[0], name ?? application ?? "unknown", roles)),
            };
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return CallerResolution.Refused($"The request's identity ({PrincipalHeader}) could not be read.");
        }
    }
}
