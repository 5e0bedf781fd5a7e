using System.Reflection;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infra.Tests;

/// <summary>The settings PayConnect reads, as declared by <see cref="AppSettings"/>.</summary>
internal static class SettingsCatalog
{
    public static IReadOnlyList<(string Name, SettingScope Scope, SettingReader ReadBy)> All { get; } =
        typeof(AppSettings)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f =>
            {
                var setting = f.GetCustomAttribute<SettingAttribute>()
                    ?? throw new InvalidOperationException($"AppSettings.{f.Name} has no [Setting] attribute.");
                return ((string)f.GetRawConstantValue()!, setting.Scope, setting.ReadBy);
            })
            .ToList();

    public static IEnumerable<string> Names(params SettingScope[] scopes) =>
        All.Where(s => scopes.Contains(s.Scope)).Select(s => s.Name);
}
