namespace PayConnect.Notifications;

/// <summary>
/// Sends one email through the configured transport (ACS, SMTP or the local sink).
/// </summary>
/// <remarks>
/// The contract the outbox relies on:
/// <list type="bullet">
/// <item>Returns <see cref="EmailSendResult"/> with <see cref="EmailSendOutcome.Sent"/> when the transport has
/// accepted the message (ACS operation <c>Succeeded</c>, SMTP server queued it, sink wrote it): mark it sent.</item>
/// <item>Returns <see cref="EmailSendOutcome.Rejected"/> when the message itself was refused and sending it again
/// cannot help (malformed or refused address, content rejected): record the failure, never retry.</item>
/// <item>Throws <see cref="EmailTransientException"/> for everything that may pass (throttling, 5xx, network,
/// timeouts, a send still running when the poll budget ran out, wrong credentials): keep the message and try
/// again later with the same <see cref="EmailMessage.MessageId"/>; <see cref="EmailTransientException.RetryAfter"/>
/// is the server's hint, when it gave one.</item>
/// <item>Throws <see cref="OperationCanceledException"/> only when the caller's token was cancelled.</item>
/// </list>
/// Any other exception is a bug or a misconfiguration; the outbox should treat it like a transient failure so
/// that no notification is lost. Implementations retry briefly inside one call (bounded) before giving up.
/// </remarks>
public interface IEmailSender
{
    Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

public enum EmailSendOutcome
{
    /// <summary>The transport accepted the message.</summary>
    Sent,

    /// <summary>The transport refused this message for good; do not retry.</summary>
    Rejected,
}

/// <summary>Final outcome of a send. Transient failures are not results: they throw <see cref="EmailTransientException"/>.</summary>
public sealed record EmailSendResult
{
    private EmailSendResult(EmailSendOutcome outcome, string? transportReference, string? errorCode, string? errorMessage)
    {
        Outcome = outcome;
        TransportReference = transportReference;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    public EmailSendOutcome Outcome { get; }

    /// <summary>The transport's handle for the message (ACS operation id, SMTP Message-Id, sink file path), for logs.</summary>
    public string? TransportReference { get; }

    /// <summary>The transport's error code when rejected (e.g. an ACS error code or an SMTP status code).</summary>
    public string? ErrorCode { get; }

    /// <summary>The transport's explanation when rejected; safe to log, never contains credentials.</summary>
    public string? ErrorMessage { get; }

    public bool IsSent => Outcome == EmailSendOutcome.Sent;

    public static EmailSendResult Sent(string? transportReference) => new(EmailSendOutcome.Sent, transportReference, null, null);

    public static EmailSendResult Rejected(string errorCode, string errorMessage, string? transportReference = null) =>
        new(EmailSendOutcome.Rejected, transportReference, errorCode, errorMessage);
}

/// <summary>The send failed for a reason that may pass; keep the message and retry it later.</summary>
public sealed class EmailTransientException : Exception
{
    public EmailTransientException(string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        RetryAfter = retryAfter;
    }

    public EmailTransientException()
    {
    }

    public EmailTransientException(string message)
        : base(message)
    {
    }

    public EmailTransientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>How long the server asked us to wait before trying again, when it said so.</summary>
    public TimeSpan? RetryAfter { get; }
}
