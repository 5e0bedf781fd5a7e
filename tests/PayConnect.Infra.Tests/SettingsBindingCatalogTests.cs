using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using PayConnect.Functions;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infra.Tests;

/// <summary>
/// The catalogue and the options classes say the same thing: every setting binds to a property of one settings
/// group (or is read by the Functions host from a trigger), and every bound property is a catalogued setting.
/// </summary>
public sealed class SettingsBindingCatalogTests
{
    [Fact]
    public void EveryCatalogedSetting_BindsToAPropertyOfItsSettingsGroup()
    {
        var bound = BoundSettings();
        var unbound = SettingsCatalog.All
            .Where(s => s.ReadBy == SettingReader.Options)
            .Select(s => s.Name)
            .Where(name => !bound.ContainsKey(name))
            .ToList();

        Assert.True(unbound.Count == 0, "No options property binds: " + string.Join(", ", unbound));
    }

    [Fact]
    public void EveryOptionsProperty_IsACatalogedSetting()
    {
        var cataloged = SettingsCatalog.All.Where(s => s.ReadBy == SettingReader.Options).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var uncataloged = BoundSettings()
            .Where(b => !cataloged.Contains(b.Key))
            .Select(b => $"{b.Value} ({b.Key})")
            .ToList();

        Assert.True(uncataloged.Count == 0, "Options properties that AppSettings does not list: " + string.Join(", ", uncataloged));
    }

    [Fact]
    public void SettingsReadByTheFunctionsHost_AreNamedInATrigger()
    {
        var referenced = typeof(FunctionsServiceCollectionExtensions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()?.Schedule)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var hostRead = SettingsCatalog.All.Where(s => s.ReadBy == SettingReader.FunctionsHost).Select(s => s.Name).ToList();

        Assert.NotEmpty(hostRead);
        Assert.All(hostRead, name => Assert.Contains($"%{name}%", referenced));
    }

    [Fact]
    public void SettingsGroups_AreDistinctSections()
    {
        var sections = SettingsBinding.Groups.Select(g => g.Section).ToList();

        Assert.Equal(sections.Count, sections.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    /// <summary>App-setting name (as <see cref="AppSettings"/> spells it) → the options property that binds it.</summary>
    private static Dictionary<string, string> BoundSettings()
    {
        var bound = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (type, section) in SettingsBinding.Groups)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                var key = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name;
                var name = section.Length == 0 ? key : $"{section}__{key}";
                Assert.True(bound.TryAdd(name, $"{type.Name}.{property.Name}"), $"{name} is bound twice.");
            }
        }

        return bound;
    }
}
