namespace PayConnect.Mms;

/// <summary>The one rule for a firm-hosted MMS endpoint's base URL.</summary>
public static class MmsBaseUrls
{
    public const int MaxLength = 500;

    /// <summary>
    /// An absolute https URL without query, fragment or user info; plain http only to the loopback host
    /// (localhost, 127.0.0.1, [::1]) for local development. The result is escaped and has no trailing slash.
    /// </summary>
    public static bool TryParse(string? text, out string? url, out string problem)
    {
        url = null;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxLength
            || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            problem = $"Must be an absolute https URL of at most {MaxLength} characters.";
            return false;
        }

        var loopback = parsed.IsLoopback && parsed.Host is "localhost" or "127.0.0.1" or "[::1]";
        if (parsed.Scheme != Uri.UriSchemeHttps && !(parsed.Scheme == Uri.UriSchemeHttp && loopback))
        {
            problem = "Must use https (plain http is allowed only to localhost or 127.0.0.1 for local development).";
            return false;
        }

        if (parsed.Query.Length > 0 || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
        {
            problem = "Must not have a query, fragment or user info.";
            return false;
        }

        url = parsed.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return true;
    }
}
