using System.Collections;
using System.Text.Json;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.DevHost.Configuration;

/// <summary>
/// The <c>Values</c> of local.settings.json (or of local.settings.sample.json when a developer has not made
/// their own copy), as the Functions host reads them.
/// </summary>
public sealed record LocalSettings(string Path, bool IsSample, IReadOnlyDictionary<string, string?> Values)
{
    public const string FileName = "local.settings.json";
    public const string SampleFileName = "local.settings.sample.json";

    public static LocalSettings Load(string repositoryRoot)
    {
        var own = System.IO.Path.Combine(repositoryRoot, FileName);
        var sample = System.IO.Path.Combine(repositoryRoot, SampleFileName);
        return File.Exists(own) ? Read(own, isSample: false)
            : File.Exists(sample) ? Read(sample, isSample: true)
            : throw new DevHostStartupException($"Neither {FileName} nor {SampleFileName} is in {repositoryRoot}.");
    }

    public static LocalSettings Read(string path, bool isSample)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new DevHostStartupException($"{path} is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (document.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in section.EnumerateObject())
                {
                    values[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Null => null,
                        _ => property.Value.GetRawText(),
                    };
                }
            }

            return new LocalSettings(path, isSample, values);
        }
    }
}

/// <summary>App settings from the process environment.</summary>
public static class SettingNames
{
    /// <summary>The process environment as app settings, the way Azure passes app settings to a function app.</summary>
    public static IReadOnlyDictionary<string, string?> FromEnvironment(IDictionary? environment = null)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment ?? Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name)
            {
                values[name] = entry.Value as string;
            }
        }

        return values;
    }
}

/// <summary>How the dev host layers its settings.</summary>
public static class SettingLayers
{
    /// <summary>
    /// Adds, lowest precedence first: the settings file, the values the dev host provides (emulator connection
    /// strings, the mail folder), then the environment, so an explicit environment variable always wins. Every
    /// layer is keyed the way the Functions host's environment keys app settings in Azure
    /// (<see cref="AppSettingsConfiguration"/>): <c>Storage__ConnectionString</c> is read as the section path
    /// <c>Storage:ConnectionString</c>, and the flat name is not there to be read.
    /// </summary>
    public static IConfigurationBuilder AddDevHostSettings(
        this IConfigurationBuilder builder,
        IReadOnlyDictionary<string, string?> file,
        IReadOnlyDictionary<string, string?> hostProvided,
        IReadOnlyDictionary<string, string?> environment) =>
        builder
            .AddAppSettings(file)
            .AddAppSettings(hostProvided)
            .AddAppSettings(environment);
}
