namespace PayConnect.Infrastructure.Email.Smtp;

/// <summary>Settings of the SMTP transport (<c>Email__Smtp*</c>, <c>Email__SenderAddress</c>).</summary>
public sealed class SmtpEmailOptions
{
    public string Host { get; set; } = string.Empty;

    public int Port { get; set; } = 587;

    /// <summary>When set, the sender authenticates; otherwise it relays anonymously.</summary>
    public string? User { get; set; }

    /// <summary>Never logged.</summary>
    public string? Password { get; set; }

    public string SenderAddress { get; set; } = string.Empty;

    /// <summary>Timeout of each SMTP network operation.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Host))
        {
            problems.Add("Email__SmtpHost must be set.");
        }

        if (Port is < 1 or > 65535)
        {
            problems.Add("Email__SmtpPort must be a TCP port.");
        }

        if (string.IsNullOrWhiteSpace(SenderAddress) || !SenderAddress.Contains('@', StringComparison.Ordinal))
        {
            problems.Add("Email__SenderAddress must be an email address.");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            problems.Add("Timeout must be positive.");
        }

        return problems;
    }
}
