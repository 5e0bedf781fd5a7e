using Microsoft.Extensions.Configuration;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>
/// Top-level settings about where the app runs: the managed identity it uses, and the variables the App Service
/// platform sets on every instance (never set by the template or locally).
/// </summary>
public sealed class AzureOptions
{
    /// <summary>Top-level names, not a section.</summary>
    public const string SectionName = "";

    /// <summary><c>AZURE_CLIENT_ID</c>: client id of the user-assigned managed identity; empty locally.</summary>
    [ConfigurationKeyName(AppSettings.AzureClientId)]
    public string? ManagedIdentityClientId { get; set; }

    /// <summary><c>WEBSITE_INSTANCE_ID</c>, set by App Service / Functions on each instance.</summary>
    [ConfigurationKeyName(AppSettings.WebsiteInstanceId)]
    public string? WebsiteInstanceId { get; set; }

    /// <summary><c>WEBSITE_SITE_NAME</c>, set by App Service / Functions to the app's name.</summary>
    [ConfigurationKeyName(AppSettings.WebsiteSiteName)]
    public string? WebsiteSiteName { get; set; }

    /// <summary>True on an App Service / Functions instance in Azure.</summary>
    public bool RunsInAzure => !string.IsNullOrWhiteSpace(WebsiteInstanceId) || !string.IsNullOrWhiteSpace(WebsiteSiteName);

    /// <summary>Which platform variable gave <see cref="RunsInAzure"/> away, for messages.</summary>
    public string? AzureMarker =>
        !string.IsNullOrWhiteSpace(WebsiteInstanceId) ? AppSettings.WebsiteInstanceId
        : !string.IsNullOrWhiteSpace(WebsiteSiteName) ? AppSettings.WebsiteSiteName
        : null;
}
