using System.Text.Json.Nodes;

namespace PayConnect.Infra.Tests;

/// <summary>Reads compiled ARM templates: resources (nested deployments included) and app settings.</summary>
internal static class ArmTemplate
{
    /// <summary>Every resource declared in the template or in its nested (module) deployments; existing ones skipped.</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template)
    {
        foreach (var resource in DirectResources(template))
        {
            if (resource["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }

            yield return resource;
            if (Type(resource) == "Microsoft.Resources/deployments"
                && resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in Resources(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    public static IEnumerable<JsonObject> Resources(JsonObject template, string type) =>
        Resources(template).Where(r => string.Equals(Type(r), type, StringComparison.OrdinalIgnoreCase));

    public static JsonObject Single(JsonObject template, string type)
    {
        var matches = Resources(template, type).ToList();
        Assert.True(matches.Count == 1, $"Expected one {type} in the template, found {matches.Count}.");
        return matches[0];
    }

    /// <summary>
    /// The function app's app settings as name → raw value (a literal or an ARM expression), from
    /// siteConfig.appSettings and from any sites/config 'appsettings' resource.
    /// </summary>
    public static IReadOnlyDictionary<string, string> FunctionAppSettings(JsonObject template)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var site in Resources(template, "Microsoft.Web/sites"))
        {
            if (site["properties"]?["siteConfig"]?["appSettings"] is JsonArray list)
            {
                foreach (var entry in list.OfType<JsonObject>())
                {
                    Add(settings, entry["name"]?.GetValue<string>(), entry["value"]?.ToString());
                }
            }
        }

        foreach (var config in Resources(template, "Microsoft.Web/sites/config"))
        {
            var name = config["name"]?.GetValue<string>() ?? string.Empty;
            if (name.Contains("appsettings", StringComparison.OrdinalIgnoreCase)
                && config["properties"] is JsonObject properties)
            {
                foreach (var (key, value) in properties)
                {
                    Add(settings, key, value?.ToString());
                }
            }
        }

        return settings;
    }

    /// <summary>Parameters the template itself declares (not those of nested deployments).</summary>
    public static IEnumerable<(string Name, JsonObject Definition)> Parameters(JsonObject template) =>
        (template["parameters"] as JsonObject ?? [])
            .Select(p => (p.Key, p.Value!.AsObject()));

    private static IEnumerable<JsonObject> DirectResources(JsonObject template) =>
        template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            // languageVersion 2.0 templates key resources by symbolic name.
            JsonObject byName => byName.Select(p => p.Value).OfType<JsonObject>(),
            _ => [],
        };

    private static string? Type(JsonObject resource) => resource["type"]?.GetValue<string>();

    private static void Add(Dictionary<string, string> settings, string? name, string? value)
    {
        Assert.False(string.IsNullOrEmpty(name), "An app setting in the template has no literal name.");
        Assert.False(
            name.StartsWith('['),
            $"App setting name {name} is an ARM expression; keep setting names literal so they can be checked.");
        Assert.True(settings.TryAdd(name, value ?? string.Empty), $"App setting {name} is set twice.");
    }
}
