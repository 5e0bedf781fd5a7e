namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// Settings of the ACS Email REST client. The first three come from app settings; the rest are tuning knobs with
/// production defaults that tests shorten.
/// </summary>
public sealed class AcsEmailOptions
{
    /// <summary><c>Email__AcsEndpoint</c>, e.g. https://NAME.communication.azure.com (https unless loopback).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// <c>Email__AcsAccessKey</c>, local development and tests only: the resource's base64 access key (HMAC). Empty in
    /// Azure, where the managed identity's Entra token is used and the resource has local auth disabled. Never logged.
    /// </summary>
    public string AccessKey { get; set; } = string.Empty;

    /// <summary><c>Email__SenderAddress</c>: an address of a domain verified in ACS.</summary>
    public string SenderAddress { get; set; } = string.Empty;

    /// <summary>Attempts per HTTP call (the first included) on 408, 429, 5xx or network failure before giving up.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First backoff when the service gives no retry-after; doubles per attempt (±20 % jitter).</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts inside one call; a longer retry-after hands the retry to the outbox.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Poll interval when the service gives no retry-after. A retry-after is always waited in full.</summary>
    public TimeSpan DefaultPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long one send may poll before it is reported as transient; the outbox's resend then finds the operation by
    /// its id and keeps following it.
    /// </summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many new operations one notification may start after earlier ones failed or were canceled.</summary>
    public int MaxResendGenerations { get; set; } = 5;

    /// <summary>True when requests are signed with the access key instead of an Entra token.</summary>
    public bool UsesAccessKey => !string.IsNullOrWhiteSpace(AccessKey);

    /// <summary>Every problem that makes these options unusable; empty when they are fine.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Endpoint is null || !Endpoint.IsAbsoluteUri)
        {
            problems.Add("Email__AcsEndpoint must be an absolute URL.");
        }
        else if (Endpoint.Scheme != Uri.UriSchemeHttps && !(Endpoint.Scheme == Uri.UriSchemeHttp && Endpoint.IsLoopback))
        {
            problems.Add("Email__AcsEndpoint must use https (plain http only to a loopback test server).");
        }

        if (UsesAccessKey && !IsBase64(AccessKey))
        {
            problems.Add("Email__AcsAccessKey, when set (local and tests only), must be the resource's base64 access key.");
        }

        if (string.IsNullOrWhiteSpace(SenderAddress) || !SenderAddress.Contains('@', StringComparison.Ordinal))
        {
            problems.Add("Email__SenderAddress must be an email address.");
        }

        if (MaxAttempts < 1)
        {
            problems.Add("MaxAttempts must be at least 1.");
        }

        if (PollTimeout <= TimeSpan.Zero || DefaultPollInterval <= TimeSpan.Zero)
        {
            problems.Add("PollTimeout and DefaultPollInterval must be positive.");
        }

        if (MaxResendGenerations is < 0 or > 100)
        {
            problems.Add("MaxResendGenerations must be between 0 and 100.");
        }

        return problems;
    }

    private static bool IsBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }
}
