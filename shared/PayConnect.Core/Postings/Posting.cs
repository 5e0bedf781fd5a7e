using System.Text;
using NodaTime;
using NodaTime.Text;
using PayConnect.Storage;

namespace PayConnect.Postings;

/// <summary>Pending until the firm's books (the MMS) reflect it; then Posted. Failed may be retried; Voided is final.</summary>
public enum PostingState
{
    Pending,
    Posted,
    Failed,
    Voided,
}

/// <summary>One change of a posting: who, when, from which state to which, and why.</summary>
public sealed record PostingAudit(int Version, string Action, PostingState? From, PostingState To, string By, Instant At, string? Reason);

/// <summary>
/// The payment of one invoice by one run (SPEC §2.5). The key is derived from the invoice and the run, so a resumed run
/// writes the same rows again instead of new ones, and the pending postings of an invoice are one key-prefix query.
/// The audit trail lives inside the record: it changes in the same write as the state, so no change can lose its entry.
/// </summary>
public sealed record Posting(
    string Id,
    string InvoiceNumber,
    string ClientNumber,
    string MatterNumber,
    long AmountMinor,
    string Currency,
    string RunKey,
    LocalDate RunDate,
    string ScheduleId,
    string PayerId,
    string ChargeId,
    string BankAccountId,
    string? ArMessage,
    PostingState State,
    int Version,
    IReadOnlyList<PostingAudit> Audit,
    Instant CreatedAt,
    Instant UpdatedAt) : IFirmRecord
{
    public const int MaxReasonLength = 250;

    private static readonly LocalDatePattern DatePattern = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");

    public static string Table => "Postings";

    public string Key => Id;

    public string? VoidReason { get; init; }

    public Money Amount => new(AmountMinor, Currency);

    /// <summary><c>{invoice}~{scheduleId}~{yyyy-MM-dd}</c> with the invoice number upper-cased and base64url-encoded (URL-safe, no '~').</summary>
    public static string IdOf(string invoiceNumber, string scheduleId, LocalDate runDate) =>
        InvoicePrefix(invoiceNumber) + scheduleId + "~" + DatePattern.Format(runDate);

    /// <summary>The key prefix shared by every posting of one invoice.</summary>
    public static string InvoicePrefix(string invoiceNumber) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(invoiceNumber.ToUpperInvariant())).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "~";

    /// <summary>This posting moved to <paramref name="to"/>, with its audit entry, in one record.</summary>
    public Posting Change(string action, PostingState to, string by, Instant at, string? reason = null) =>
        this with
        {
            State = to,
            Version = Version + 1,
            Audit = [.. Audit, new PostingAudit(Version + 1, action, State, to, by, at, reason)],
            UpdatedAt = at,
            VoidReason = to == PostingState.Voided ? reason : VoidReason,
        };
}
