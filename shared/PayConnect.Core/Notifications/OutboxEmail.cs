using System.Security.Cryptography;
using System.Text;
using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Notifications;

public enum OutboxState
{
    /// <summary>Not sent yet (never tried, or the transport failed transiently); listed in the pending index.</summary>
    Pending,

    /// <summary>The transport accepted it. Final.</summary>
    Sent,

    /// <summary>The transport refused this message for good. Final.</summary>
    Rejected,
}

/// <summary>
/// One notification email to one subscriber about one thing (a run): rendered when it is enqueued, so the sender only
/// sends. Its key is derived from the notification type, the source and the address, so enqueueing it again (a
/// redelivered run) keeps one row, and its message id is derived from the same parts, so a resend after a crash is
/// recognisable by the transport as the same email.
/// </summary>
public sealed record OutboxEmail(
    string Id,
    string FirmId,
    string Type,
    string SourceKey,
    string ToAddress,
    string? ToDisplayName,
    string Subject,
    string PlainText,
    string Html,
    OutboxState State,
    int Attempts,
    Instant NextAttemptAt,
    Instant CreatedAt,
    Instant UpdatedAt) : IFirmRecord
{
    public static string Table => "OutboxEmails";

    public string Key => Id;

    public string? LastError { get; init; }

    public Instant? SentAt { get; init; }

    public string? TransportReference { get; init; }

    /// <summary><c>{type}~{source}~{address}</c>: one row per notification type, source and subscriber.</summary>
    public static string IdOf(string type, string sourceKey, string address) =>
        $"{type}~{sourceKey}~{address.Trim().ToLowerInvariant()}";

    /// <summary>The email's message id: stable for this row, free of spaces, safe in every transport.</summary>
    public string MessageId => MessageIdOf(FirmId, Type, SourceKey, ToAddress);

    public static string MessageIdOf(string firmId, string type, string sourceKey, string address) =>
        type.ToLowerInvariant() + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{firmId}|{type}|{sourceKey}|{address.Trim().ToLowerInvariant()}")))[..40];
}

/// <summary>
/// An entry of the index of pending outbox emails, kept under one fixed pseudo-firm (<see cref="Partition"/>), so the
/// sender finds what to send with one partition query instead of scanning every firm. Written before the email row
/// and deleted after the email is final.
/// </summary>
public sealed record OutboxPendingEntry(string FirmId, string EmailId, Instant CreatedAt) : IFirmRecord
{
    /// <summary>The pseudo firm id the index lives under; '~' cannot occur in a real firm id.</summary>
    public const string Partition = "~outbox";

    public static string Table => "OutboxPending";

    public string Key => KeyOf(FirmId, EmailId);

    public static string KeyOf(string firmId, string emailId) => firmId + "|" + emailId;
}
