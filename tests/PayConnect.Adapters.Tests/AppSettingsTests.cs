using System.Reflection;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Adapters.Tests;

public class AppSettingsTests
{
    [Fact]
    public void EverySettingName_IsDescribedAndUnique()
    {
        var fields = typeof(AppSettings).GetFields(BindingFlags.Public | BindingFlags.Static);
        var names = fields.Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(fields, f => Assert.False(string.IsNullOrWhiteSpace(f.GetCustomAttribute<SettingAttribute>()?.Description)));
    }
}
