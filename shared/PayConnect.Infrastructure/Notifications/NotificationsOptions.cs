using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infrastructure.Notifications;

/// <summary>Settings of the notification emails' links (section <c>Notifications</c>).</summary>
public sealed class NotificationsOptions
{
    public const string SectionName = "Notifications";

    /// <summary>The shortest unsubscribe key accepted (HMAC-SHA256 keys shorter than the hash add nothing but risk).</summary>
    public const int MinKeyLength = 32;

    /// <summary><c>Notifications__UnsubscribeKey</c>: signs the unsubscribe links (a Key Vault reference in Azure). Never logged.</summary>
    public string? UnsubscribeKey { get; set; }

    /// <summary><c>Notifications__PublicBaseUrl</c>: where the API is reached from outside, for the unsubscribe links; http://localhost:7071 when unset.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The setting; else the app's own host name in Azure (<c>WEBSITE_HOSTNAME</c>); else the local dev host.</summary>
    public Uri PublicBaseUri(string? websiteHostName) =>
        Uri.TryCreate(PublicBaseUrl?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : !string.IsNullOrWhiteSpace(websiteHostName) && Uri.TryCreate("https://" + websiteHostName.Trim(), UriKind.Absolute, out var host)
                ? host
                : new Uri("http://localhost:7071");

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(UnsubscribeKey) || UnsubscribeKey.Trim().Length < MinKeyLength)
        {
            yield return $"{AppSettings.NotificationsUnsubscribeKey} must be set to a secret of at least {MinKeyLength} characters (a Key Vault reference in Azure).";
        }

        if (!string.IsNullOrWhiteSpace(PublicBaseUrl)
            && !(Uri.TryCreate(PublicBaseUrl.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)))
        {
            yield return $"{AppSettings.NotificationsPublicBaseUrl} must be an absolute http(s) URL.";
        }
    }
}
