namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// Settings of the ACS Email REST client. The first three come from app settings; the rest are tuning knobs with
/// production defaults that tests shorten.
/// </summary>
public sealed class AcsEmailOptions
{
    /// <summary><c>Email__AcsEndpoint</c>, e.g. https://NAME.communication.azure.com (https unless loopback).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary><c>Email__AcsAccessKey</c>: the resource's base64 access key. Never logged.</summary>
    public string AccessKey { get; set; } = string.Empty;

    /// <summary><c>Email__SenderAddress</c>: an address of a domain verified in ACS.</summary>
    public string SenderAddress { get; set; } = string.Empty;

    /// <summary>Attempts per HTTP call (the first included) on 429, 5xx or network failure before giving up.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First backoff when the service gives no retry-after; doubles per attempt.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts inside one call; a longer retry-after hands the retry to the outbox.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Poll interval when the service gives no retry-after.</summary>
    public TimeSpan DefaultPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Upper bound on one poll interval, whatever retry-after says.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one send may poll before it is reported as transient (the outbox resends with the same Operation-Id).</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(60);

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

        if (!IsBase64(AccessKey))
        {
            problems.Add("Email__AcsAccessKey must be the resource's base64 access key.");
        }

        if (string.IsNullOrWhiteSpace(SenderAddress) || !SenderAddress.Contains('@', StringComparison.Ordinal))
        {
            problems.Add("Email__SenderAddress must be an email address.");
        }

        if (MaxAttempts < 1)
        {
            problems.Add("MaxAttempts must be at least 1.");
        }

        if (PollTimeout <= TimeSpan.Zero || MaxPollInterval <= TimeSpan.Zero)
        {
            problems.Add("PollTimeout and MaxPollInterval must be positive.");
        }

        return problems;
    }

    private static bool IsBase64(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }
}
