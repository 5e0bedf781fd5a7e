namespace PayConnect.Infrastructure.Configuration;

/// <summary>
/// Where PayConnect's tables are (section <c>Storage</c>): a connection string locally (Azurite), the table
/// service URI reached with the managed identity in Azure. When both are set the connection string wins.
/// </summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>Storage__ConnectionString</c> (local only).</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>Storage__TableServiceUri</c>, e.g. https://ACCOUNT.table.core.windows.net/ (Azure).</summary>
    public string? TableServiceUri { get; set; }

    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(TableServiceUri))
        {
            yield return $"Set {AppSettings.StorageConnectionString} (locally) or {AppSettings.StorageTableServiceUri} (in Azure).";
        }
        else if (!Uri.TryCreate(TableServiceUri.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            yield return $"{AppSettings.StorageTableServiceUri} must be an absolute https URL such as https://ACCOUNT.table.core.windows.net/.";
        }
    }
}
