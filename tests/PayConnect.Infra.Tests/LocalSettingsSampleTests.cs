using System.Text.Json;
using System.Text.Json.Nodes;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infra.Tests;

/// <summary>local.settings.sample.json is the developer's list of every setting: none missing, none stale.</summary>
public sealed class LocalSettingsSampleTests
{
    /// <summary>Settings the Functions host needs locally although PayConnect's code never reads them.</summary>
    private static readonly HashSet<string> HostSettings = new(StringComparer.Ordinal)
    {
        "FUNCTIONS_WORKER_RUNTIME",
        "AzureWebJobsStorage",
    };

    private static readonly IReadOnlyCollection<string> SampleNames = LoadSampleNames();

    [Fact]
    public void Sample_DocumentsEverySettingTheCodeReads()
    {
        var missing = SettingsCatalog.All
            .Where(s => s.Scope != SettingScope.Platform)
            .Select(s => s.Name)
            .Where(name => !SampleNames.Contains(name))
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void Sample_SetsNoPlatformSetting()
    {
        // A developer's copy with WEBSITE_SITE_NAME would look like Azure and refuse the local identity.
        var platform = SettingsCatalog.Names(SettingScope.Platform).Where(SampleNames.Contains).ToList();

        Assert.True(platform.Count == 0, "local.settings.sample.json sets platform settings: " + string.Join(", ", platform));
    }

    [Fact]
    public void Sample_DocumentsNoSettingTheCodeDoesNotRead()
    {
        var known = SettingsCatalog.Names(
            SettingScope.Everywhere,
            SettingScope.LocalOnly,
            SettingScope.AzureOnly).ToHashSet(StringComparer.Ordinal);
        var unknown = SampleNames.Where(name => !known.Contains(name) && !HostSettings.Contains(name)).ToList();

        Assert.True(unknown.Count == 0, "local.settings.sample.json has unknown settings: " + string.Join(", ", unknown));
    }

    private static HashSet<string> LoadSampleNames()
    {
        var path = Path.Combine(TestEnvironment.RepositoryRoot, "local.settings.sample.json");
        var document = JsonNode.Parse(
            File.ReadAllText(path),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = document?["Values"] as JsonObject
            ?? throw new InvalidOperationException($"{path} has no Values object.");
        return values.Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
    }
}
