using System.Text.RegularExpressions;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infra.Tests;

/// <summary>Keeps the function app settings in infra/ in step with the settings the code reads.</summary>
[Collection(BicepCompilationCollection.Name)]
public sealed partial class TemplateSettingsTests(BicepCompilation compilation)
{
    /// <summary>Host and platform settings the template may set although PayConnect's code never reads them.</summary>
    private static readonly HashSet<string> PlatformSettings = new(StringComparer.Ordinal)
    {
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    };

    /// <summary>Settings that carry secrets: in Azure they must be Key Vault references, never values.</summary>
    private static readonly string[] SecretSettings =
    [
        AppSettings.GatewayStripeApiKey,
    ];

    private IReadOnlyDictionary<string, string> Settings => ArmTemplate.FunctionAppSettings(compilation.MainTemplate);

    [Fact]
    public void Template_SetsEverySettingThatAzureNeeds()
    {
        var missing = SettingsCatalog.Names(SettingScope.Everywhere, SettingScope.AzureOnly)
            .Where(name => !Settings.ContainsKey(name))
            .ToList();

        Assert.True(missing.Count == 0, "infra/ does not set: " + string.Join(", ", missing));
    }

    [Fact]
    public void Template_SetsNoLocalOnlySetting()
    {
        var localOnly = SettingsCatalog.Names(SettingScope.LocalOnly)
            .Where(Settings.ContainsKey)
            .ToList();

        Assert.True(localOnly.Count == 0, "infra/ sets local-only settings: " + string.Join(", ", localOnly));
    }

    [Fact]
    public void Template_SetsNoPlatformSetting()
    {
        // WEBSITE_* belong to the platform; setting one would also make local-looking values look like Azure.
        var platform = SettingsCatalog.Names(SettingScope.Platform)
            .Where(Settings.ContainsKey)
            .ToList();

        Assert.True(platform.Count == 0, "infra/ sets platform settings: " + string.Join(", ", platform));
    }

    [Fact]
    public void Template_SetsOnlySettingsTheCodeOrThePlatformReads()
    {
        var known = SettingsCatalog.All.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = Settings.Keys
            .Where(name => !known.Contains(name) && !PlatformSettings.Contains(name))
            .ToList();

        Assert.True(
            unknown.Count == 0,
            "infra/ sets settings that neither AppSettings nor the platform allow-list knows: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Template_ReadsSecretSettingsFromKeyVaultThroughTheAppIdentity()
    {
        foreach (var name in SecretSettings)
        {
            Assert.True(Settings.TryGetValue(name, out var value), $"{name} is not set.");
            Assert.Contains("@Microsoft.KeyVault(", value, StringComparison.Ordinal);
        }

        // Both are ARM expressions; they must name the same module parameter (the one user-assigned identity).
        var site = ArmTemplate.Single(compilation.MainTemplate, "Microsoft.Web/sites");
        Assert.Equal("UserAssigned", site["identity"]?["type"]?.ToString());
        var userAssigned = Assert.Single(site["identity"]?["userAssignedIdentities"]?.AsObject() ?? []);
        var referenceIdentity = site["properties"]?["keyVaultReferenceIdentity"]?.ToString() ?? string.Empty;
        Assert.NotEmpty(ParametersIn(referenceIdentity));
        Assert.Equal(ParametersIn(userAssigned.Key), ParametersIn(referenceIdentity));
    }

    private static string[] ParametersIn(string expression) =>
        [.. ParameterReference().Matches(expression).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"parameters\('([^']+)'\)")]
    private static partial Regex ParameterReference();

    [Fact]
    public void Template_PinsAzureModesForAuthenticationAndEmail()
    {
        Assert.Equal("AppServiceAuthentication", Settings[AppSettings.AuthMode]);
        Assert.Equal("Acs", Settings[AppSettings.EmailTransport]);
    }

    [Fact]
    public void Template_ConnectsHostStorageWithTheManagedIdentity()
    {
        Assert.Equal("managedidentity", Settings["AzureWebJobsStorage__credential"]);
        Assert.DoesNotContain("AzureWebJobsStorage", Settings.Keys);
    }
}
