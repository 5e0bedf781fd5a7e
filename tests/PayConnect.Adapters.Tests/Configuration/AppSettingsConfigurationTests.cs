using Microsoft.Extensions.Configuration;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Adapters.Tests.Configuration;

/// <summary>
/// The dev host and the tests key app settings with <see cref="AppSettingsConfiguration"/>; in Azure the worker gets
/// them from the environment-variables provider. These must agree, or a local run can read what Azure hides.
/// </summary>
public sealed class AppSettingsConfigurationTests
{
    [Fact]
    public void Mapping_KeysAppSettingsExactlyAsTheEnvironmentVariablesProviderDoes()
    {
        // Real variables in this process, each carrying a marker no other variable has.
        var marker = "PCTEST" + Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [marker + "Storage__TableServiceUri"] = "https://account.table.core.windows.net/",
            [marker + "A__B__C"] = "nested",
            [marker + "Triple___Underscore"] = "three",
            [marker + "Quadruple____Underscore"] = "four",
            [marker + "Single_Underscore"] = "one",
            [marker + "Trailing__"] = "trailing",
            [marker + "Colon:Already"] = "colon",
            [marker + "MixedCase__Key"] = "case",
            [marker + "AZURE_CLIENT_ID"] = "top-level",
            ["CUSTOMCONNSTR_" + marker + "Custom"] = "custom",
            ["SQLCONNSTR_" + marker + "Sql__Part"] = "sql",
            ["MYSQLCONNSTR_" + marker + "My"] = "mysql",
            ["SQLAZURECONNSTR_" + marker + "Az"] = "sqlazure",
            ["POSTGRESQLCONNSTR_" + marker + "Pg"] = "postgres",
            ["APIHUBCONNSTR_" + marker + "Hub"] = "apihub",
            ["DOCDBCONNSTR_" + marker + "Doc"] = "docdb",
            ["EVENTHUBCONNSTR_" + marker + "Events"] = "eventhub",
            ["NOTIFICATIONHUBCONNSTR_" + marker + "Notify"] = "notificationhub",
            ["REDISCACHECONNSTR_" + marker + "Redis"] = "redis",
            ["SERVICEBUSCONNSTR_" + marker + "Bus"] = "servicebus",
        };
        try
        {
            foreach (var (name, value) in settings)
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            var real = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var fromEnvironment = Marked(real.AsEnumerable(), marker);
            var fromHelper = Marked(new ConfigurationBuilder().AddAppSettings(settings).Build().AsEnumerable(), marker);

            Assert.Equal(fromEnvironment, fromHelper);
            Assert.True(fromEnvironment.Count >= settings.Count, "Not every variable reached configuration; the comparison proves nothing.");
            Assert.Equal("https://account.table.core.windows.net/", real[$"{marker}Storage:TableServiceUri"]);
            Assert.Null(real[$"{marker}Storage__TableServiceUri"]);
        }
        finally
        {
            foreach (var name in settings.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Theory]
    [InlineData("Storage__TableServiceUri", "Storage:TableServiceUri")]
    [InlineData("AZURE_CLIENT_ID", "AZURE_CLIENT_ID")]
    [InlineData("FanOutSchedule", "FanOutSchedule")]
    public void Key_OfAnAppSetting_IsItsSectionPath(string appSetting, string key) =>
        Assert.Equal(key, AppSettingsConfiguration.Key(appSetting));

    [Fact]
    public void AddAppSettings_LeavesNoFlatSpellingBehind()
    {
        var configuration = new ConfigurationBuilder()
            .AddAppSettings(new Dictionary<string, string?> { [AppSettings.StorageConnectionString] = "UseDevelopmentStorage=true" })
            .Build();

        Assert.Equal("UseDevelopmentStorage=true", configuration["Storage:ConnectionString"]);
        Assert.Null(configuration[AppSettings.StorageConnectionString]);
    }

    private static List<string> Marked(IEnumerable<KeyValuePair<string, string?>> entries, string marker) =>
        entries
            .Where(e => e.Value is not null && e.Key.Contains(marker, StringComparison.OrdinalIgnoreCase))
            .Select(e => $"{e.Key}={e.Value}")
            .Order(StringComparer.Ordinal)
            .ToList();
}
