using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>How callers are authenticated (<c>Auth__Mode</c>).</summary>
[TypeConverter(typeof(StrictEnumConverter<AuthMode>))]
public enum AuthMode
{
    /// <summary>App Service Authentication validates the token and forwards the principal in <c>X-MS-CLIENT-PRINCIPAL</c>.</summary>
    AppServiceAuthentication,

    /// <summary>Local only: a configured identity, or the principal a request brings itself. Refused in Azure.</summary>
    Development,
}

/// <summary>Authentication settings (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary><c>Auth__Mode</c>; unset means <see cref="AuthMode.AppServiceAuthentication"/>.</summary>
    [EnumDataType(typeof(AuthMode))]
    public AuthMode? Mode { get; set; }

    /// <summary><c>Auth__DevelopmentFirmId</c>: the firm of the development identity (required in Development mode).</summary>
    public string? DevelopmentFirmId { get; set; }

    /// <summary><c>Auth__DevelopmentUser</c>: user name of the development identity.</summary>
    public string? DevelopmentUser { get; set; }

    /// <summary><c>Auth__DevelopmentRole</c>: role of the development identity.</summary>
    public string? DevelopmentRole { get; set; }

    public bool IsDevelopment => Mode == AuthMode.Development;
}

/// <summary>
/// Refuses Development mode on an Azure instance: it trusts an identity from settings (or from a request header)
/// without any token, so anyone could act for any firm.
/// </summary>
public sealed class AuthOptionsValidator(IOptions<AzureOptions> azure) : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsDevelopment)
        {
            return ValidateOptionsResult.Success;
        }

        var problems = new List<string>();
        if (azure.Value.RunsInAzure)
        {
            problems.Add(
                $"{AppSettings.AuthMode}=Development is refused in Azure ({azure.Value.AzureMarker} is set): it trusts an identity without a token. " +
                $"Set {AppSettings.AuthMode}=AppServiceAuthentication.");
        }

        if (string.IsNullOrWhiteSpace(options.DevelopmentFirmId))
        {
            problems.Add($"{AppSettings.AuthDevelopmentFirmId} is required when {AppSettings.AuthMode} is Development.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
