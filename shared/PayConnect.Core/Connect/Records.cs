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
    /// <summary>The approval threshold when a firm has set none: 25,000 in the firm's currency's major units.</summary>
    public const long DefaultApprovalThresholdMajor = 25_000;

    public static string Table => "Firms";

    public string Key => "settings";

    /// <summary>
    /// A run whose allocation is above this many minor units waits for staff approval (SPEC §1 Approval ceiling);
    /// null means the default (<see cref="DefaultApprovalThresholdMajor"/>).
    /// </summary>
    public long? ApprovalThresholdMinor { get; init; }

    /// <summary>The card surcharge rate in basis points (1–300); null or 0: the firm charges none.</summary>
    public int? CardSurchargeBasisPoints { get; init; }

    /// <summary>ISO 3166-2 codes of the payer jurisdictions where the firm never surcharges (US-CT, ...).</summary>
    public IReadOnlyList<string> SurchargeExcludedJurisdictions { get; init; } = [];

    /// <summary>The firm's surcharge, or null when it charges none.</summary>
    public Payments.SurchargeSettings? Surcharge() =>
        CardSurchargeBasisPoints is { } bp && bp > 0 ? new Payments.SurchargeSettings(bp, SurchargeExcludedJurisdictions) : null;

    /// <summary>Days before a run that its payer is told the date and amount, when the firm has set none.</summary>
    public const int DefaultPreChargeNoticeDays = 3;

    /// <summary>Days before each run that its payer is told (null: <see cref="DefaultPreChargeNoticeDays"/>).</summary>
    public int? PreChargeNoticeDays { get; init; }

    /// <summary>The pre-charge notice lead in effect, in days.</summary>
    public int NoticeDays() => PreChargeNoticeDays ?? DefaultPreChargeNoticeDays;

    /// <summary>The firm-wide approval threshold in effect, in minor units of <see cref="Currency"/>.</summary>
    public long ApprovalThreshold() =>
        ApprovalThresholdMinor ?? checked(DefaultApprovalThresholdMajor * (long)Math.Pow(10, Currencies.IsSupported(Currency) ? Currencies.Exponent(Currency) : 2));

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

    /// <summary>Where the payer is (ISO 3166-2, US-CT): a firm may exclude jurisdictions from card surcharges.</summary>
    public string? Jurisdiction { get; init; }

    /// <summary>Where the payer's own notices go and which they receive (null: none set, the payer gets no email).</summary>
    public PayerContacts? Contacts { get; init; }
}

/// <summary>A schedule's copy of what its runs need of its payer (docs/decisions/0043).</summary>
public sealed record PayerCopy(string Name, string? Jurisdiction, PayerContacts? Contacts)
{
    public static PayerCopy Of(Payer payer)
    {
        ArgumentNullException.ThrowIfNull(payer);
        return new(payer.Name, payer.Jurisdiction, payer.Contacts);
    }

    /// <summary>The payer as a run sees it.</summary>
    public Payer ToPayer(string payerId, Instant createdAt) => new(payerId, Name, null, createdAt) { Jurisdiction = Jurisdiction, Contacts = Contacts };

    /// <summary>Same content (the contact lists compared item by item, not by reference).</summary>
    public bool SameAs(PayerCopy? other) =>
        other is not null && Name == other.Name && Jurisdiction == other.Jurisdiction
        && (Contacts, other.Contacts) switch
        {
            (null, null) => true,
            ({ } a, { } b) => a.Emails.SequenceEqual(b.Emails, StringComparer.Ordinal) && a.Receives.SequenceEqual(b.Receives, StringComparer.Ordinal) && a.UpdatedAt == b.UpdatedAt,
            _ => false,
        };
}

/// <summary>
/// The addresses a payer agreed to receive notices at, and which payer-facing notices (<see cref="NotificationTypes.ForPayers"/>)
/// they receive. The payer's <see cref="Payer.Email"/> is a record for staff; only these addresses are ever emailed.
/// </summary>
public sealed record PayerContacts(IReadOnlyList<string> Emails, IReadOnlyList<string> Receives, Instant UpdatedAt)
{
    public bool Receive(string type) => Emails.Count > 0 && Receives.Contains(type, StringComparer.Ordinal);
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
    /// <summary>A card's funding type, from the gateway's data for the method (Stripe <c>card.funding</c>); null for ACH or when not given.</summary>
    public Payments.CardFunding? Funding { get; init; }

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

/// <summary>The notification types staff can subscribe to.</summary>
public static class NotificationTypes
{
    /// <summary>A run failed for good (SPEC §2.6).</summary>
    public const string ErrorFailedAutoPay = "ErrorFailedAutoPay";

    /// <summary>A run is above its approval ceiling and waits for a person (SPEC §1 Approval ceiling).</summary>
    public const string AwaitingApproval = "AwaitingApproval";

    /// <summary>The payer's card issuer disputes a run's charge (a chargeback).</summary>
    public const string PaymentDisputed = "PaymentDisputed";

    /// <summary>The payer's bank returned a run's ACH debit (NACHA R-code).</summary>
    public const string PaymentReturned = "PaymentReturned";

    /// <summary>
    /// A run's charge went through. Staff subscribed to it get a copy (with the surcharge line); the payer gets the payer's
    /// receipt (what was paid and what remains outstanding) at their contact addresses.
    /// </summary>
    public const string PaymentReceipt = "PaymentReceipt";

    /// <summary>A schedule's one-year authorization ends in 30 days (staff and the payer).</summary>
    public const string ScheduleExpiring = "ScheduleExpiring";

    /// <summary>A daily per-firm digest of runs charged, failed and waiting (staff).</summary>
    public const string RunSummary = "RunSummary";

    /// <summary>The payer is told the date, expected amount and invoices of a coming run.</summary>
    public const string PreChargeNotice = "PreChargeNotice";

    /// <summary>The types staff subscribe to.</summary>
    public static readonly IReadOnlyList<string> All = [ErrorFailedAutoPay, AwaitingApproval, PaymentDisputed, PaymentReturned, PaymentReceipt, ScheduleExpiring, RunSummary];

    /// <summary>The types a payer receives at their contact addresses.</summary>
    public static readonly IReadOnlyList<string> ForPayers = [PreChargeNotice, PaymentReceipt, ScheduleExpiring];
}

/// <summary>A staff address that receives notification types (<see cref="NotificationTypes"/>).</summary>
public sealed record NotificationSubscription(string Email, string? DisplayName, IReadOnlyList<string> Types, Instant CreatedAt) : IFirmRecord
{
    public const string ErrorFailedAutoPay = NotificationTypes.ErrorFailedAutoPay;

    public static string Table => "Subscriptions";

    public string Key => Email.ToLowerInvariant();
}

/// <summary>
/// One enrolled association as the schedule's runs need it: the scope's place in the MMS, copied when the enrollment is
/// saved so a run never reads the association records (an enrolled association cannot be deleted).
/// </summary>
public sealed record EnrolledScope(string AssociationId, AssociationLevel Level, string Number, string ClientNumber, string? MatterNumber)
{
    public static EnrolledScope Of(Association association) =>
        new(association.Id, association.Level, association.ScopeNumber, association.ClientNumber, association.MatterNumber);

    public Mms.MmsScope ToMmsScope() => new(Level, Number, ClientNumber, MatterNumber);
}

/// <summary>
/// What a run of the schedule charges and where the money goes, copied from the payment method and the deposit
/// account when the schedule is saved (both are immutable, and a method in use cannot be deleted), so that a run
/// reads neither. Never shown by the API: the token is the gateway's business.
/// </summary>
public sealed record ScheduleCharging(
    string PaymentMethodToken,
    PaymentMethodKind PaymentMethodKind,
    string? MandateId,
    BankAccountKind DepositKind,
    string? ConnectedAccountId)
{
    /// <summary>The card's funding type (a surcharge applies to credit cards only).</summary>
    public Payments.CardFunding? Funding { get; init; }

    public static ScheduleCharging Of(PaymentMethod method, BankAccount deposit) =>
        new(method.Token, method.Kind, method.MandateId, deposit.Kind, deposit.StripeAccountId) { Funding = method.Funding };
}

/// <summary>What an up-to schedule's next run may charge after a run failed.</summary>
public enum MakeUpPolicy
{
    /// <summary>Nothing extra: the next run charges up to its cap.</summary>
    None,

    /// <summary>The next run may charge its cap plus what the failed run would have charged (never more than is owed).</summary>
    RollIntoNext,
}

/// <summary>Why a schedule ended.</summary>
public enum ScheduleEndReason
{
    /// <summary>Staff ended it.</summary>
    Staff,

    /// <summary>Its last occurrence ran (a one-year lifetime used up, a Once schedule's run).</summary>
    Completed,

    /// <summary>A payment plan whose enrolled invoices are all paid.</summary>
    PaidOff,
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

    /// <summary>The enrolled scopes (same order as <see cref="EnrolledAssociationIds"/>).</summary>
    public IReadOnlyList<EnrolledScope> EnrolledScopes { get; init; } = [];

    /// <summary>What runs charge and where the money goes (see <see cref="ScheduleCharging"/>); null on schedules saved before it existed.</summary>
    public ScheduleCharging? Charging { get; init; }

    /// <summary>
    /// What its runs need of the payer (name, jurisdiction, notice contacts), kept current by every change to the payer
    /// (<see cref="Payers.PayerCopies"/>), so a run reads no payer; null on schedules saved before it existed (runs read the payer).
    /// </summary>
    public PayerCopy? PayerCopy { get; init; }

    /// <summary>Optional per-schedule maximum: a run allocating more waits for approval.</summary>
    public long? MaxRunAmountMinor { get; init; }

    /// <summary>The latest run date ever sent (never moves back, even when the cadence changes): later runs wait for it.</summary>
    public LocalDate? LastSentRunDate { get; init; }

    public ScheduleEndReason? EndReason { get; init; }

    /// <summary>Who last paused, resumed or ended the schedule, and when.</summary>
    public string? StateChangedBy { get; init; }

    public Instant? StateChangedAt { get; init; }

    /// <summary>Occurrences staff chose to skip (future dates only when added), oldest first: each run is recorded Skipped.</summary>
    public IReadOnlyList<ScheduleSkip> Skips { get; init; } = [];

    /// <summary>The skip of the occurrence on <paramref name="date"/>, if staff skipped it.</summary>
    public ScheduleSkip? SkipOf(LocalDate date) => Skips.FirstOrDefault(k => k.Date == date);

    /// <summary>
    /// The exclusive end of a one-year lifetime once it was re-authorized (see <see cref="ScheduleTimeline.AuthorizedUntil"/>);
    /// null means first run date + 1 year.
    /// </summary>
    public LocalDate? AuthorizedUntil { get; init; }

    /// <summary>What an up-to run charges after the schedule's previous run failed (see <see cref="Runs.MakeUp"/>).</summary>
    public MakeUpPolicy MakeUp { get; init; } = MakeUpPolicy.None;

    /// <summary>The authorization in effect (also kept, with every earlier version, in the retained authorization records).</summary>
    public Authorizations.AuthorizationVersion? Authorization { get; init; }

    /// <summary>True when staff stopped it (paused, or ended by a person) — runs not yet charging are skipped.</summary>
    public bool StoppedByStaff => State == ScheduleState.Paused || (State == ScheduleState.Ended && EndReason is null or ScheduleEndReason.Staff);

    /// <summary>The schedule's place in time, for the scheduling rules.</summary>
    public ScheduleTimeline Timeline() =>
        new(Scheduling.Frequency.TryParse(Frequency, out var f) ? f : throw new InvalidDataException($"Schedule {Id} has frequency '{Frequency}'."),
            FirstRunDate, Lifetime, State, LastScheduledRunDate, ResumedOn) { AuthorizedUntil = AuthorizedUntil };

    /// <summary>The same schedule with <see cref="NextRunDate"/> recomputed from its timeline.</summary>
    public Schedule WithNextRun() => this with { NextRunDate = Timeline().NextRunDate };
}

/// <summary>One occurrence of a schedule that staff skipped: its run is recorded Skipped, by whom and why.</summary>
public sealed record ScheduleSkip(LocalDate Date, string By, string? Reason, Instant At);
