using Microsoft.Extensions.Configuration;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>
/// Turns app settings (names as Azure and local.settings.json spell them) into configuration keys the way .NET's
/// environment-variables configuration provider does, because that is how the isolated worker sees them in
/// Azure: <c>Storage__TableServiceUri</c> becomes <c>Storage:TableServiceUri</c> and the flat name is gone. The
/// dev host and the tests configure the functions through this, never with both spellings, so they cannot read
/// a setting that Azure would hide. A test compares it with the real provider.
/// </summary>
public static class AppSettingsConfiguration
{
    // EnvironmentVariablesConfigurationProvider's connection-string prefixes (App Service connection strings):
    // NAME becomes ConnectionStrings:NAME, and for some a ConnectionStrings:NAME_ProviderName entry is added.
    private static readonly (string Prefix, string? Provider)[] ConnectionStringPrefixes =
    [
        ("MYSQLCONNSTR_", "MySql.Data.MySqlClient"),
        ("SQLAZURECONNSTR_", "System.Data.SqlClient"),
        ("SQLCONNSTR_", "System.Data.SqlClient"),
        ("POSTGRESQLCONNSTR_", "Npgsql"),
        ("APIHUBCONNSTR_", null),
        ("DOCDBCONNSTR_", null),
        ("EVENTHUBCONNSTR_", null),
        ("NOTIFICATIONHUBCONNSTR_", null),
        ("REDISCACHECONNSTR_", null),
        ("SERVICEBUSCONNSTR_", null),
        ("CUSTOMCONNSTR_", null),
    ];

    /// <summary>The configuration key of an app setting without a connection-string prefix: each <c>__</c> becomes <c>:</c>.</summary>
    public static string Key(string appSettingName)
    {
        ArgumentNullException.ThrowIfNull(appSettingName);
        return appSettingName.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
    }

    /// <summary>Configuration data for app settings, keyed as the environment-variables provider keys environment variables.</summary>
    public static IReadOnlyDictionary<string, string?> ToConfigurationData(IEnumerable<KeyValuePair<string, string?>> appSettings)
    {
        ArgumentNullException.ThrowIfNull(appSettings);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in appSettings)
        {
            var connectionString = ConnectionStringPrefixes.FirstOrDefault(p => name.StartsWith(p.Prefix, StringComparison.OrdinalIgnoreCase));
            if (connectionString.Prefix is null)
            {
                data[Key(name)] = value;
                continue;
            }

            var key = "ConnectionStrings:" + Key(name[connectionString.Prefix.Length..]);
            data[key] = value;
            if (connectionString.Provider is not null)
            {
                data[key + "_ProviderName"] = connectionString.Provider;
            }
        }

        return data;
    }

    /// <summary>Adds app settings as the Functions host's environment would present them.</summary>
    public static IConfigurationBuilder AddAppSettings(this IConfigurationBuilder builder, IEnumerable<KeyValuePair<string, string?>> appSettings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddInMemoryCollection(ToConfigurationData(appSettings));
    }
}
