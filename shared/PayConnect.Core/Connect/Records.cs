using NodaTime;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Connect;

public enum BankAccountKind
{
    Operating,
    Trust,
}

public enum PaymentMethodKind
{
    Card,
    Ach,
}

public enum AssociationLevel
{
    Client,
    Matter,
    Invoice,
}

public enum AmountRuleKind
{
    PayAllOutstanding,
    UpTo,
}

/// <summary>Where a firm's MMS data is read from.</summary>
public enum MmsConnectorKind
{
    /// <summary>The embedded mirror in our storage, fed by the firm's sync agent through the ingest API.</summary>
    Mirror,

    /// <summary>A firm-hosted endpoint implementing docs/mms-http-connector.md.</summary>
    Http,
}

/// <summary>
/// A firm's settings: its IANA time zone, currency and MMS connection. <see cref="MmsSharedSecret"/> is
/// write-only: API views report only whether it is set, and <see cref="ToString"/> leaves it out.
/// </summary>
public sealed record FirmSettings(
    string FirmId,
    string Name,
    string TimeZone,
    string Currency,
    Instant UpdatedAt,
    MmsConnectorKind MmsConnector = MmsConnectorKind.Mirror,
    string? MmsBaseUrl = null,
    string? MmsSharedSecret = null) : IFirmRecord
{
    public static string Table => "Firms";

    public string Key => "settings";

    /// <summary>The firm's time zone (UTC only if the stored id no longer resolves, which validation prevents).</summary>
    public DateTimeZone Zone() => FirmClock.TryResolveZone(TimeZone, out var zone, out _) ? zone : DateTimeZone.Utc;

    /// <summary>The firm-local date at <paramref name="instant"/>.</summary>
    public LocalDate TodayAt(Instant instant) => FirmClock.TodayIn(Zone(), instant);

    public override string ToString() =>
        $"FirmSettings {{ FirmId = {FirmId}, Name = {Name}, TimeZone = {TimeZone}, Currency = {Currency}, UpdatedAt = {UpdatedAt}, " +
        $"MmsConnector = {MmsConnector}, MmsBaseUrl = {MmsBaseUrl}, MmsSharedSecretSet = {MmsSharedSecret is not null} }}";
}

/// <summary>
/// A firm deposit account. <see cref="StripeAccountId"/> is the Stripe connected account (<c>acct_…</c>) that settles
/// into it: charges for this account are routed there (docs/decisions/0015-deposit-routing-destination-charges.md).
/// </summary>
public sealed record BankAccount(string Id, string Name, BankAccountKind Kind, string Last4, Instant CreatedAt, string? StripeAccountId = null) : IFirmRecord
{
    public static string Table => "BankAccounts";

    public string Key => Id;
}

public sealed record Payer(string Id, string Name, string? Email, Instant CreatedAt) : IFirmRecord
{
    public static string Table => "Payers";

    public string Key => Id;
}

/// <summary>
/// A saved payment method: the gateway token and display data only (never a card number or CVV). An ACH method
/// carries the <see cref="MandateId"/> (<c>mandate_…</c>) the payer accepted, sent with every off-session debit.
/// </summary>
public sealed record PaymentMethod(
    string Id,
    string PayerId,
    PaymentMethodKind Kind,
    string Token,
    string DisplayName,
    string Last4,
    int? ExpiryMonth,
    int? ExpiryYear,
    Instant CreatedAt,
    string? MandateId = null) : IFirmRecord
{
    public static string Table => "PaymentMethods";

    public string Key => KeyOf(PayerId, Id);

    public static string KeyOf(string payerId, string id) => payerId + "~" + id;
}

/// <summary>Ties one payer to one MMS scope (a client, a matter or an invoice).</summary>
public sealed record Association(
    string Id,
    string PayerId,
    AssociationLevel Level,
    string ClientNumber,
    string? MatterNumber,
    string? InvoiceNumber,
    string DisplayName,
    Instant CreatedAt) : IFirmRecord
{
    public static string Table => "Associations";

    public string Key => KeyOf(PayerId, Id);

    public static string KeyOf(string payerId, string id) => payerId + "~" + id;

    /// <summary>The scope's MMS number (client, matter or invoice number by level).</summary>
    public string ScopeNumber => Level switch
    {
        AssociationLevel.Client => ClientNumber,
        AssociationLevel.Matter => MatterNumber!,
        _ => InvoiceNumber!,
    };

    /// <summary>
    /// The association id is derived from its scope, so a second association of the same payer to the same
    /// scope collides on insert instead of being silently doubled.
    /// </summary>
    public static string IdOf(AssociationLevel level, string scopeNumber) =>
        level.ToString().ToLowerInvariant() + "-" + Base64Url(scopeNumber.ToUpperInvariant());

    private static string Base64Url(string text) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>A staff address that receives a notification type (today: Error-Failed AutoPay).</summary>
public sealed record NotificationSubscription(string Email, string? DisplayName, IReadOnlyList<string> Types, Instant CreatedAt) : IFirmRecord
{
    public const string ErrorFailedAutoPay = "ErrorFailedAutoPay";

    public static string Table => "Subscriptions";

    public string Key => Email.ToLowerInvariant();
}

/// <summary>An Auto-Pay schedule; enrollment is the set of the payer's association ids it pays.</summary>
public sealed record Schedule(
    string Id,
    string PayerId,
    string PaymentMethodId,
    string Name,
    string BankAccountId,
    string? ArMessage,
    string Frequency,
    LocalDate FirstRunDate,
    AmountRuleKind AmountRule,
    long? CapMinor,
    string Currency,
    ScheduleState State,
    IReadOnlyList<string> EnrolledAssociationIds,
    Instant CreatedAt,
    Instant UpdatedAt,
    LocalDate? LastScheduledRunDate = null,
    LocalDate? ResumedOn = null,
    LocalDate? NextRunDate = null,
    ScheduleLifetime Lifetime = ScheduleLifetime.NoEnrollments) : IFirmRecord
{
    public static string Table => "Schedules";

    public string Key => Id;

    /// <summary>The schedule's place in time, for the scheduling rules.</summary>
    public ScheduleTimeline Timeline() =>
        new(Scheduling.Frequency.TryParse(Frequency, out var f) ? f : throw new InvalidDataException($"Schedule {Id} has frequency '{Frequency}'."),
            FirstRunDate, Lifetime, State, LastScheduledRunDate, ResumedOn);

    /// <summary>The same schedule with <see cref="NextRunDate"/> recomputed from its timeline.</summary>
    public Schedule WithNextRun() => this with { NextRunDate = Timeline().NextRunDate };
}
