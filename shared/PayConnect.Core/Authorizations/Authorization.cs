using NodaTime;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Authorizations;

/// <summary>How the payer's authorization was captured.</summary>
public enum CaptureMethod
{
    /// <summary>Staff set the schedule up on the payer's behalf from a form the payer signed (its reference is recorded).</summary>
    SignedForm,

    /// <summary>The payer consented electronically themselves (the consent record's reference is recorded).</summary>
    PayerEConsent,

    /// <summary>
    /// Staff saved the schedule without naming the payer's signed form or e-consent (a client that does not send it yet):
    /// recorded as such, so an audit sees which authorizations lack evidence.
    /// </summary>
    NotRecorded,
}

/// <summary>Who captured an authorization, how, and the evidence's reference.</summary>
public sealed record AuthorizationCapture(CaptureMethod Method, string? Reference, string CapturedBy, Instant CapturedAt);

/// <summary>A range of amounts the payer agreed a debit may fall within (NACHA: then a 10-day notice is needed only outside it).</summary>
public sealed record AmountRange(long MinMinor, long MaxMinor)
{
    public bool Contains(long amountMinor) => amountMinor >= MinMinor && amountMinor <= MaxMinor;

    /// <summary>True when every amount of this range is inside <paramref name="other"/>.</summary>
    public bool Within(AmountRange other) => MinMinor >= other.MinMinor && MaxMinor <= other.MaxMinor;
}

/// <summary>
/// What the payer authorized: the scope, the amount rule and cap (and make-up), the frequency, the payment method, the
/// deposit account, the lifetime and an optional agreed range. A change that makes any of these wider needs a new
/// version (<see cref="Widening"/>).
/// </summary>
public sealed record AuthorizationTerms(
    IReadOnlyList<string> Scopes,
    AmountRuleKind AmountRule,
    long? CapMinor,
    string Currency,
    MakeUpPolicy MakeUp,
    string Frequency,
    LocalDate FirstRunDate,
    string PaymentMethodId,
    string PaymentMethod,
    PaymentMethodKind PaymentMethodKind,
    string BankAccountId,
    string BankAccount,
    Scheduling.ScheduleLifetime Lifetime,
    LocalDate? AuthorizedUntil,
    AmountRange? Range)
{
    /// <summary>What <paramref name="next"/> authorizes beyond this version, one phrase each; empty when it is no wider.</summary>
    public IReadOnlyList<string> Widening(AuthorizationTerms next)
    {
        var wider = new List<string>();
        if (next.Scopes.Except(Scopes, StringComparer.OrdinalIgnoreCase).Any())
        {
            wider.Add("scope");
        }

        if (next.Currency != Currency
            || (AmountRule == AmountRuleKind.UpTo && (next.AmountRule == AmountRuleKind.PayAllOutstanding || next.CapMinor > CapMinor))
            || (MakeUp == MakeUpPolicy.None && next.MakeUp != MakeUpPolicy.None))
        {
            wider.Add("amount");
        }

        if (next.Frequency != Frequency || next.FirstRunDate != FirstRunDate)
        {
            wider.Add("frequency");
        }

        if (next.PaymentMethodId != PaymentMethodId)
        {
            wider.Add("payment method");
        }

        if (next.BankAccountId != BankAccountId)
        {
            wider.Add("deposit account");
        }

        if (AuthorizedUntil is { } end && (next.AuthorizedUntil is null || next.AuthorizedUntil > end) && next.Lifetime != Scheduling.ScheduleLifetime.NoEnrollments)
        {
            wider.Add("lifetime");
        }

        if (next.Range is { } range && (Range is null || !range.Within(Range)))
        {
            wider.Add("amount range");
        }

        return wider;
    }
}

/// <summary>
/// One version of a schedule's authorization: the terms, the text shown to the payer, and how it was captured. Insert
/// only: a version is never changed; a wider change makes the next version. Kept in their own table (not with payers
/// or schedules), so deleting those leaves them.
/// </summary>
public sealed record AuthorizationVersion(
    string ScheduleId,
    string PayerId,
    string PayerName,
    int Version,
    AuthorizationTerms Terms,
    string Text,
    string TextTemplate,
    AuthorizationCapture Capture,
    string Reason,
    Instant RecordedAt) : IFirmRecord
{
    public const string KeyPrefix = "V~";

    public static string Table => AuthorizationTable.Name;

    public string Key => KeyOf(ScheduleId, Version);

    public static string KeyOf(string scheduleId, int version) => PrefixOf(scheduleId) + version.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    public static string PrefixOf(string scheduleId) => KeyPrefix + scheduleId + "~";
}

/// <summary>The payer withdrew the authorization (staff recorded it on the payer's word); the schedule ended at once.</summary>
public sealed record AuthorizationRevocation(string ScheduleId, string PayerId, int Version, string RecordedBy, string PayersWord, Instant RevokedAt) : IFirmRecord
{
    public static string Table => AuthorizationTable.Name;

    public string Key => KeyOf(ScheduleId);

    public static string KeyOf(string scheduleId) => "X~" + scheduleId;
}

/// <summary>
/// How long a schedule's authorization records must be kept: at least two years after its last payment (NACHA), and
/// never less than two years after the authorization was first recorded.
/// </summary>
public sealed record AuthorizationRetention(string ScheduleId, LocalDate? LastPaymentOn, LocalDate RetainUntil, Instant UpdatedAt) : IFirmRecord
{
    public static readonly Period KeepFor = Period.FromYears(2);

    public static string Table => AuthorizationTable.Name;

    public string Key => KeyOf(ScheduleId);

    public static string KeyOf(string scheduleId) => "K~" + scheduleId;
}

/// <summary>The table of authorization records: apart from every record the API can delete.</summary>
public static class AuthorizationTable
{
    public const string Name = "Authorizations";
}
