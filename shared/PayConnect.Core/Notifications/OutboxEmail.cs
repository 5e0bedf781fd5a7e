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
/// One Error-Failed AutoPay email to one subscriber for one failed run attempt. Its key is derived from the run, the
/// attempt and the address, so enqueueing it twice (a redelivered run) keeps one row, and the email's message id is
/// derived from the same parts, so a resend after a crash is recognisable by the transport as the same email.
/// </summary>
public sealed record OutboxEmail(
    string Id,
    string FirmId,
    string RunKey,
    int Attempt,
    string ToAddress,
    string? ToDisplayName,
    FailedAutoPayDetails Details,
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

    /// <summary><c>{scheduleId}~{yyyy-MM-dd}~{attempt}~{address}</c>: one row per run attempt and subscriber.</summary>
    public static string IdOf(string runKeyRecordKey, int attempt, string address) =>
        $"{runKeyRecordKey}~{attempt}~{address.Trim().ToLowerInvariant()}";

    /// <summary>The email's message id: stable for this row, free of spaces, safe in every transport.</summary>
    public string MessageId =>
        "failed-autopay-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{FirmId}|{RunKey}|{Attempt}|{ToAddress.ToLowerInvariant()}")))[..40];
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
