using Microsoft.Extensions.Configuration;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>
/// Top-level settings about where the app runs: the managed identity it uses, the Application Insights resource its
/// telemetry goes to, and the variables the App Service platform sets on every instance (never set by the template
/// or locally).
/// </summary>
public sealed class AzureOptions
{
    /// <summary>Top-level names, not a section.</summary>
    public const string SectionName = "";

    /// <summary><c>AZURE_CLIENT_ID</c>: client id of the user-assigned managed identity; empty locally.</summary>
    [ConfigurationKeyName(AppSettings.AzureClientId)]
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>: where traces, metrics and logs are exported (with the managed
    /// identity's token; the resource refuses keys). Empty: nothing is exported, the local default.
    /// </summary>
    [ConfigurationKeyName(AppSettings.ApplicationInsightsConnectionString)]
    public string? ApplicationInsightsConnectionString { get; set; }

    /// <summary>True when telemetry is exported to Application Insights.</summary>
    public bool ExportsTelemetry => !string.IsNullOrWhiteSpace(ApplicationInsightsConnectionString);

    /// <summary><c>WEBSITE_INSTANCE_ID</c>, set by App Service / Functions on each instance.</summary>
    [ConfigurationKeyName(AppSettings.WebsiteInstanceId)]
    public string? WebsiteInstanceId { get; set; }

    /// <summary><c>WEBSITE_SITE_NAME</c>, set by App Service / Functions to the app's name.</summary>
    [ConfigurationKeyName(AppSettings.WebsiteSiteName)]
    public string? WebsiteSiteName { get; set; }

    /// <summary><c>WEBSITE_HOSTNAME</c>, set by App Service / Functions to the app's default host name (name.azurewebsites.net).</summary>
    [ConfigurationKeyName(AppSettings.WebsiteHostName)]
    public string? WebsiteHostName { get; set; }

    /// <summary>True on an App Service / Functions instance in Azure.</summary>
    public bool RunsInAzure => !string.IsNullOrWhiteSpace(WebsiteInstanceId) || !string.IsNullOrWhiteSpace(WebsiteSiteName);

    /// <summary>What is wrong with these settings (empty when nothing is).</summary>
    public IEnumerable<string> Problems()
    {
        if (!ExportsTelemetry)
        {
            yield break;
        }

        // The shape Application Insights gives: "InstrumentationKey=GUID;IngestionEndpoint=https://...;...".
        var parts = ApplicationInsightsConnectionString!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("InstrumentationKey", out var key) || !Guid.TryParse(key, out _))
        {
            yield return $"{AppSettings.ApplicationInsightsConnectionString} must be an Application Insights connection string (InstrumentationKey=GUID;IngestionEndpoint=https://...), or empty to export nothing.";
        }
        else if (parts.TryGetValue("IngestionEndpoint", out var endpoint)
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"{AppSettings.ApplicationInsightsConnectionString} names an IngestionEndpoint that is not an https URL.";
        }
    }

    /// <summary>Which platform variable gave <see cref="RunsInAzure"/> away, for messages.</summary>
    public string? AzureMarker =>
        !string.IsNullOrWhiteSpace(WebsiteInstanceId) ? AppSettings.WebsiteInstanceId
        : !string.IsNullOrWhiteSpace(WebsiteSiteName) ? AppSettings.WebsiteSiteName
        : null;
}
