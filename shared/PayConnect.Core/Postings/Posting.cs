using System.Security.Cryptography;
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

/// <summary>What a posting records.</summary>
public enum PostingKind
{
    /// <summary>A run's payment of one invoice.</summary>
    Payment,

    /// <summary>A run's card surcharge: deposited to operating, never any invoice's money.</summary>
    Surcharge,

    /// <summary>Money that went back to the payer (refund, lost dispute, ACH return): post it to the MMS like a payment, negatively.</summary>
    Reversal,
}

/// <summary>Why money went back.</summary>
public enum ReversalCause
{
    Refund,
    Dispute,
    AchReturn,
}

/// <summary>One change of a posting: who, when, from which state to which, and why.</summary>
public sealed record PostingAudit(int Version, string Action, PostingState? From, PostingState To, string By, Instant At, string? Reason);

/// <summary>
/// The payment of one invoice by one run (SPEC §2.5). The id is derived from the invoice and the run, so a resumed run
/// writes the same rows again instead of new ones. Postings live in the firm's ledger partition beside their run and
/// its holds and are written in the same commit as the run's move to Posted. Their state is the firm's bookkeeping
/// (has the MMS been told?); it never decides what is still owed — holds do (SPEC §2.3).
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

    public const string KeyPrefix = "P~";

    public static string Table => Runs.LedgerTable.Name;

    public string Key => KeyOf(Id);

    public string? VoidReason { get; init; }

    /// <summary>The payment reference to record in the MMS; a sync agent reporting it among the invoice's payments ends the hold.</summary>
    public string? Reference { get; init; }

    /// <summary>The charge is accepted but settles later (ACH): the money is not in the firm's account yet.</summary>
    public bool SettlementPending { get; init; }

    /// <summary>A payment of an invoice, the run's surcharge, or money that went back.</summary>
    public PostingKind Kind { get; init; } = PostingKind.Payment;

    /// <summary>A reversal: the posting (payment or surcharge) whose money went back.</summary>
    public string? ReversalOf { get; init; }

    /// <summary>A reversal: refund, lost dispute or ACH return.</summary>
    public ReversalCause? Cause { get; init; }

    /// <summary>A reversal: the gateway's refund or dispute id, or the ACH return code.</summary>
    public string? SourceId { get; init; }

    /// <summary>The invoice number of a surcharge posting: none, it is no invoice's money.</summary>
    public const string SurchargeInvoice = "";

    public static string KeyOf(string id) => KeyPrefix + id;

    public Money Amount => new(AmountMinor, Currency);

    /// <summary><c>{invoice}~{scheduleId}~{yyyy-MM-dd}</c> with the invoice number upper-cased and base64url-encoded (URL-safe, no '~').</summary>
    public static string IdOf(string invoiceNumber, string scheduleId, LocalDate runDate) =>
        InvoicePrefix(invoiceNumber) + scheduleId + "~" + DatePattern.Format(runDate);

    /// <summary>The payment posting of an invoice in one presentment of a run (the first presentment keeps <see cref="IdOf(string, string, LocalDate)"/>).</summary>
    public static string IdOf(string invoiceNumber, string scheduleId, LocalDate runDate, int presentment) =>
        IdOf(invoiceNumber, scheduleId, runDate) + PresentmentSuffix(presentment);

    /// <summary>The surcharge posting of one presentment of a run.</summary>
    public static string SurchargeIdOf(string scheduleId, LocalDate runDate, int presentment) =>
        "SURCHARGE~" + scheduleId + "~" + DatePattern.Format(runDate) + PresentmentSuffix(presentment);

    /// <summary>
    /// The reversal of <paramref name="postingId"/> by one refund, dispute or return (<paramref name="sourceKey"/>): one
    /// posting per source and invoice, so an event delivered twice writes it once. The source key is hashed (it may hold
    /// characters a row key cannot).
    /// </summary>
    public static string ReversalIdOf(string postingId, string sourceKey) =>
        postingId + "~R~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sourceKey)))[..20];

    private static string PresentmentSuffix(int presentment) =>
        presentment == 0 ? string.Empty : "~p" + presentment.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The id prefix shared by every posting of one invoice.</summary>
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

/// <summary>
/// The payment reference of one invoice paid by one run: short, stable, and the same on every retry, so the firm's
/// books can record it and a sync agent can report it back (<c>paymentReferences</c> of an invoice).
/// </summary>
public static class PaymentReference
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public static string For(string runKey, string invoiceNumber)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(runKey + "|" + invoiceNumber.ToUpperInvariant()));
        var text = new StringBuilder("PC-", 15);
        for (var i = 0; i < 10; i++)
        {
            text.Append(Alphabet[hash[i] % Alphabet.Length]);
        }

        return text.ToString();
    }
}
