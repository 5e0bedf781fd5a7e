using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Functions.Http;

/// <summary>Who is calling: one firm, a user name and roles.</summary>
public sealed record Caller(string FirmId, string User, IReadOnlySet<string> Roles);

/// <summary>Roles a caller may hold.</summary>
public static class Roles
{
    public const string FirmAdmin = "FirmAdmin";
    public const string FirmStaff = "FirmStaff";
    public const string MmsSync = "MmsSync";

    public static readonly string[] Staff = [FirmAdmin, FirmStaff];
    public static readonly string[] Admin = [FirmAdmin];
    public static readonly string[] Sync = [FirmAdmin, MmsSync];
}

/// <summary>
/// Resolves the caller. In Azure, App Service Authentication validates the user and forwards the principal in
/// <c>X-MS-CLIENT-PRINCIPAL</c> (base64 JSON claims); the firm comes from the <c>firm_id</c> claim and roles from
/// the role claims. Locally (<c>Auth__Mode=Development</c>) an explicit identity from settings is used.
/// </summary>
public sealed class CallerResolver(IConfiguration configuration)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    public const string FirmClaim = "firm_id";

    private readonly bool _development = string.Equals(configuration[AppSettings.AuthMode], "Development", StringComparison.OrdinalIgnoreCase);

    public Caller? Resolve(HttpRequest request)
    {
        if (_development)
        {
            var firm = configuration[AppSettings.AuthDevelopmentFirmId];
            return string.IsNullOrWhiteSpace(firm)
                ? null
                : new Caller(firm, configuration[AppSettings.AuthDevelopmentUser] ?? "developer",
                    new HashSet<string>([configuration[AppSettings.AuthDevelopmentRole] ?? Roles.FirmAdmin], StringComparer.Ordinal));
        }

        if (!request.Headers.TryGetValue(PrincipalHeader, out var header) || string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(header.ToString())));
            var root = doc.RootElement;
            var roleType = root.TryGetProperty("role_typ", out var rt) ? rt.GetString() : "roles";
            var nameType = root.TryGetProperty("name_typ", out var nt) ? nt.GetString() : "name";
            string? firm = null, name = null;
            var roles = new HashSet<string>(StringComparer.Ordinal);
            foreach (var claim in root.GetProperty("claims").EnumerateArray())
            {
                var type = claim.GetProperty("typ").GetString();
                var value = claim.GetProperty("val").GetString();
                if (value is null)
                {
                    continue;
                }

                if (type == FirmClaim)
                {
                    firm = value;
                }
                else if (type == roleType || type == "roles")
                {
                    roles.Add(value);
                }
                else if (type == nameType)
                {
                    name = value;
                }
            }

            return string.IsNullOrWhiteSpace(firm) ? null : new Caller(firm, name ?? "unknown", roles);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
