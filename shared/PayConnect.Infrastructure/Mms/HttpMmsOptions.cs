namespace PayConnect.Infrastructure.Mms;

/// <summary>How patiently the HTTP connector talks to a firm-hosted MMS endpoint.</summary>
public sealed class HttpMmsOptions
{
    /// <summary>Bounds one attempt: connect, headers and body.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per request, the first included; only 5xx, 429, network errors and timeouts are retried.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The wait before the second attempt; it doubles for each further one.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Scopes per <c>/invoices/outstanding</c> request, keeping URLs well under common limits.</summary>
    public int MaxScopesPerRequest { get; init; } = 50;

    /// <summary>Pages followed for one outstanding-invoices request before the endpoint is judged to be looping.</summary>
    public int MaxPages { get; init; } = 200;

    /// <summary>The largest response body read.</summary>
    public int MaxResponseBytes { get; init; } = 4 * 1024 * 1024;
}
