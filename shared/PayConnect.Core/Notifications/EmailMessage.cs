namespace PayConnect.Notifications;

/// <summary>A recipient: a plain address (<see cref="EmailAddresses.IsPlain"/>) and an optional display name.</summary>
public sealed record EmailAddress
{
    /// <exception cref="ArgumentException">
    /// The address is not plain: sending to it can never succeed, so the outbox records such an email as rejected
    /// instead of retrying it.
    /// </exception>
    public EmailAddress(string address, string? displayName = null)
    {
        if (!EmailAddresses.IsPlain(address))
        {
            throw new ArgumentException("An email address must be a plain address such as name@example.com (no display name, brackets, quotes or list).", nameof(address));
        }

        EmailText.EnsureSingleLine(displayName, nameof(displayName));
        Address = address;
        DisplayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName;
    }

    public string Address { get; }

    public string? DisplayName { get; }

    public override string ToString() => DisplayName is null ? Address : $"{DisplayName} <{Address}>";
}

/// <summary>
/// One email to send. <see cref="MessageId"/> is our notification id: the same notification always carries the
/// same id, and every transport derives its own duplicate handle from it (ACS Operation-Id, SMTP Message-Id,
/// sink file name), so a resend after a crash or timeout is recognisable as the same message.
/// </summary>
public sealed class EmailMessage
{
    /// <summary>Longest accepted <see cref="MessageId"/>.</summary>
    public const int MaxMessageIdLength = 256;

    public EmailMessage(string messageId, IReadOnlyList<EmailAddress> to, string subject, string plainText, string html)
    {
        if (string.IsNullOrWhiteSpace(messageId) || messageId.Length > MaxMessageIdLength || messageId.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException($"A message id is 1 to {MaxMessageIdLength} characters without spaces or control characters.", nameof(messageId));
        }

        ArgumentNullException.ThrowIfNull(to);
        if (to.Count == 0 || to.Any(a => a is null))
        {
            throw new ArgumentException("An email needs at least one recipient.", nameof(to));
        }

        if (string.IsNullOrWhiteSpace(subject))
        {
            throw new ArgumentException("An email needs a subject.", nameof(subject));
        }

        EmailText.EnsureSingleLine(subject, nameof(subject));
        ArgumentNullException.ThrowIfNull(plainText);
        ArgumentNullException.ThrowIfNull(html);

        MessageId = messageId;
        To = to.ToArray();
        Subject = subject;
        PlainText = plainText;
        Html = html;
    }

    /// <summary>Our notification id; stable across resends of the same notification.</summary>
    public string MessageId { get; }

    public IReadOnlyList<EmailAddress> To { get; }

    public string Subject { get; }

    public string PlainText { get; }

    public string Html { get; }
}

internal static class EmailText
{
    // Header values (subject, display names) must never carry a line break: that would let data inject headers.
    public static void EnsureSingleLine(string? value, string paramName)
    {
        if (value is not null && value.Any(char.IsControl))
        {
            throw new ArgumentException("The value must be a single line without control characters.", paramName);
        }
    }
}
