using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Payments;
using PayConnect.Scheduling;

namespace PayConnect.Firms;

/// <summary>The firm's settings; a PUT replaces them all.</summary>
/// <param name="Name">The firm's name as staff see it.</param>
/// <param name="TimeZone">IANA time zone id, such as America/Chicago: run dates are days in this zone.</param>
/// <param name="Currency">ISO 4217 code of the firm's money.</param>
/// <param name="MmsConnector">Where the firm's MMS data comes from: Mirror (pushed by the firm's sync agent through the ingest API) or Http (an endpoint the firm hosts).</param>
/// <param name="MmsBaseUrl">Base URL of the firm-hosted MMS endpoint: https, or http to localhost in development. Only with mmsConnector Http.</param>
/// <param name="MmsSharedSecret">The endpoint's shared secret; write-only. Leave it out to keep the stored one while the base URL stays the same.</param>
/// <param name="ApprovalThreshold">Runs allocating more than this (in major units of the currency) wait for staff approval; left out means 25,000.</param>
/// <param name="CardSurchargePercent">A surcharge on credit-card Auto-Pay charges, in percent (more than 0, at most 3, two decimals). Never on debit or prepaid cards, bank debits, or schedules depositing into a Trust account; its own line, deposited to operating. Left out: none.</param>
/// <param name="SurchargeExcludedJurisdictions">Payer jurisdictions (ISO 3166-2, such as US-CT) where no surcharge is charged; payers of unknown jurisdiction are not surcharged while any is listed.</param>
/// <param name="PreChargeNoticeDays">Days before each run that the payer is emailed its date and expected amount (1 to 30; left out means 3). A bank (ACH) debit's notice comes at least 10 days ahead unless the payer authorized a range the amount falls within.</param>
public sealed record PutFirmSettingsRequest(
    string Name,
    string TimeZone,
    string Currency = "USD",
    MmsConnectorKind MmsConnector = MmsConnectorKind.Mirror,
    string? MmsBaseUrl = null,
    string? MmsSharedSecret = null,
    decimal? ApprovalThreshold = null,
    decimal? CardSurchargePercent = null,
    IReadOnlyList<string>? SurchargeExcludedJurisdictions = null,
    int? PreChargeNoticeDays = null) : IExample<PutFirmSettingsRequest>
{
    public const int MaxExcludedJurisdictions = 100;

    public const int MaxPreChargeNoticeDays = 30;

    public const int MinSecretLength = 32;
    public const int MaxSecretLength = 256;

    public static PutFirmSettingsRequest Example => new("Smith & Jones LLP", "America/Chicago");

    // The secret never reaches a log line.
    public override string ToString() =>
        $"PutFirmSettingsRequest {{ Name = {Name}, TimeZone = {TimeZone}, Currency = {Currency}, MmsConnector = {MmsConnector}, MmsBaseUrl = {MmsBaseUrl}, MmsSharedSecretSet = {MmsSharedSecret is not null} }}";
}

public sealed class PutFirmSettingsRequestValidator : RequestValidator<PutFirmSettingsRequest>
{
    private const string HttpOnly = "Is only used with mmsConnector Http.";

    public PutFirmSettingsRequestValidator()
    {
        RuleFor(x => x.Name).Text(200).NoCardNumber();

        // The rule the fan-out and the runs resolve the zone with, so a zone accepted here always resolves there.
        RuleFor(x => x.TimeZone).Text(64)
            .Must(zone => zone is null || FirmClock.TryResolveZone(zone, out _, out _))
            .WithMessage("Must be an IANA time zone id such as America/Chicago.");
        RuleFor(x => x.Currency).OneOf(Currencies.Supported, "Must be a supported ISO 4217 currency code such as USD.");
        RuleFor(x => x.ApprovalThreshold)
            .Must((request, threshold) => threshold is null || !Currencies.IsSupported(request.Currency)
                || (Currencies.TryToMinor(threshold.Value, request.Currency, out var minor) && minor > 0))
            .WithMessage("Must be more than zero with no more decimals than the currency has.");
        RuleFor(x => x.CardSurchargePercent)
            .Must(p => p is null || (p > 0 && p <= Surcharges.MaxBasisPoints / 100m && decimal.Round(p.Value, 2) == p.Value))
            .WithMessage($"Must be more than 0 and at most {Surcharges.MaxBasisPoints / 100m:0} percent, with at most two decimals.");
        RuleFor(x => x.SurchargeExcludedJurisdictions).Items(0, PutFirmSettingsRequest.MaxExcludedJurisdictions);
        RuleForEach(x => x.SurchargeExcludedJurisdictions)
            .Must(Surcharges.IsJurisdiction).WithMessage("Must be an ISO 3166-2 code in capitals, such as US-CT.");
        RuleFor(x => x.PreChargeNoticeDays).Between(1, PutFirmSettingsRequest.MaxPreChargeNoticeDays);
        When(x => x.MmsConnector == MmsConnectorKind.Mirror, () =>
        {
            RuleFor(x => x.MmsBaseUrl).Null().WithMessage(HttpOnly);
            RuleFor(x => x.MmsSharedSecret).Null().WithMessage(HttpOnly);
        }).Otherwise(() =>
        {
            RuleFor(x => x.MmsBaseUrl).NotNull().WithMessage("Is required with mmsConnector Http.")
                .Text(MmsBaseUrls.MaxLength)
                .Must(url => MmsBaseUrls.TryParse(url, out _, out _))
                .WithMessage((request, url) => MmsBaseUrls.TryParse(url, out _, out var problem) ? string.Empty : problem);
            RuleFor(x => x.MmsSharedSecret).Text(PutFirmSettingsRequest.MaxSecretLength, PutFirmSettingsRequest.MinSecretLength);
        });
    }
}

/// <summary>The firm's settings. The MMS shared secret is never returned: only whether one is set.</summary>
/// <param name="FirmId">The firm.</param>
/// <param name="Name">The firm's name.</param>
/// <param name="TimeZone">IANA time zone id.</param>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="MmsConnector">Where the firm's MMS data comes from.</param>
/// <param name="MmsBaseUrl">Base URL of the firm-hosted MMS endpoint (mmsConnector Http only).</param>
/// <param name="MmsSharedSecretSet">Whether a shared secret is stored for that endpoint.</param>
/// <param name="ApprovalThresholdMinor">Runs allocating more than this (minor units) wait for staff approval.</param>
/// <param name="ApprovalThresholdIsDefault">True when the firm has not set its own threshold.</param>
/// <param name="UpdatedAt">When the settings were last written.</param>
/// <param name="CardSurchargeBasisPoints">The credit-card surcharge in basis points (100 = 1 %); 0 when the firm charges none.</param>
/// <param name="SurchargeExcludedJurisdictions">Payer jurisdictions where no surcharge is charged.</param>
/// <param name="PreChargeNoticeDays">Days before each run that the payer is emailed its date and expected amount (at least 10 for a bank debit without an agreed range).</param>
public sealed record FirmSettingsResponse(
    string FirmId,
    string Name,
    string TimeZone,
    string Currency,
    MmsConnectorKind MmsConnector,
    string? MmsBaseUrl,
    bool MmsSharedSecretSet,
    long ApprovalThresholdMinor,
    bool ApprovalThresholdIsDefault,
    Instant UpdatedAt,
    int CardSurchargeBasisPoints,
    IReadOnlyList<string> SurchargeExcludedJurisdictions,
    int PreChargeNoticeDays) : IExample<FirmSettingsResponse>
{
    public static FirmSettingsResponse Example =>
        new("smith-jones", "Smith & Jones LLP", "America/Chicago", "USD", MmsConnectorKind.Mirror, null, false, 2_500_000, true, Instant.FromUtc(2026, 3, 2, 15, 0), 0, [], 3);

    public static FirmSettingsResponse From(FirmSettings f) =>
        new(f.FirmId, f.Name, f.TimeZone, f.Currency, f.MmsConnector, f.MmsBaseUrl, f.MmsSharedSecret is not null, f.ApprovalThreshold(), f.ApprovalThresholdMinor is null, f.UpdatedAt,
            f.CardSurchargeBasisPoints ?? 0, f.SurchargeExcludedJurisdictions, f.NoticeDays());
}
