using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Scheduling;

namespace PayConnect.Authorizations;

/// <summary>A range of amounts (major units of the schedule's currency) the payer agreed each debit falls within.</summary>
/// <param name="Min">The smallest amount of the range.</param>
/// <param name="Max">The largest amount of the range.</param>
public sealed record AmountRangeRequest(decimal Min, decimal Max);

public sealed class AmountRangeRequestValidator : RequestValidator<AmountRangeRequest>
{
    public AmountRangeRequestValidator()
    {
        RuleFor(x => x.Min).GreaterThan(0).WithMessage("Must be more than zero.");
        RuleFor(x => x.Max).GreaterThanOrEqualTo(x => x.Min).WithMessage("Must be at least min.");
    }
}

/// <summary>The payer renews a schedule's authorization: a new version, and a one-year lifetime extended to a year from the next run.</summary>
/// <param name="Method">How the payer renewed it: SignedForm (staff on the payer's behalf) or PayerEConsent.</param>
/// <param name="Reference">The signed form's or the consent record's reference.</param>
/// <param name="AmountRange">A range the payer agreed each debit falls within (a bank debit inside it needs the firm's notice days, not 10); left out keeps the current one.</param>
public sealed record ReauthorizeRequest(CaptureMethod Method, string Reference, AmountRangeRequest? AmountRange = null) : IExample<ReauthorizeRequest>
{
    public static ReauthorizeRequest Example => new(CaptureMethod.SignedForm, "Form AP-2027-0142 signed 2027-02-10");
}

public sealed class ReauthorizeRequestValidator : RequestValidator<ReauthorizeRequest>
{
    public ReauthorizeRequestValidator()
    {
        RuleFor(x => x.Method).Must(m => m != CaptureMethod.NotRecorded).WithMessage("Must be SignedForm or PayerEConsent: a renewal names its evidence.");
        RuleFor(x => x.Reference).Text(ScheduleAuthorizations.MaxReferenceLength).NoCardNumber();
        RuleFor(x => x.AmountRange!).SetValidator(new AmountRangeRequestValidator()).When(x => x.AmountRange is not null);
    }
}

/// <summary>Staff record that the payer withdrew the authorization: the schedule ends at once and no run that has not charged will.</summary>
/// <param name="PayersWord">How and when the payer said so (a phone call, a letter, an email), in staff's words.</param>
public sealed record RevokeAuthorizationRequest(string PayersWord) : IExample<RevokeAuthorizationRequest>
{
    public const int MaxLength = 500;

    public static RevokeAuthorizationRequest Example => new("Phone call from the payer on 2026-03-05 asking to stop the Auto-Pay.");
}

public sealed class RevokeAuthorizationRequestValidator : RequestValidator<RevokeAuthorizationRequest>
{
    public RevokeAuthorizationRequestValidator() => RuleFor(x => x.PayersWord).Text(RevokeAuthorizationRequest.MaxLength).NoCardNumber();
}

/// <summary>Who captured an authorization and how.</summary>
/// <param name="Method">SignedForm, PayerEConsent, or NotRecorded (saved without naming evidence).</param>
/// <param name="Reference">The signed form's or consent record's reference.</param>
/// <param name="CapturedBy">The staff user who recorded it.</param>
/// <param name="CapturedAt">When.</param>
public sealed record AuthorizationCaptureResponse(CaptureMethod Method, string? Reference, string CapturedBy, Instant CapturedAt);

/// <summary>What a version authorizes.</summary>
/// <param name="Scopes">The enrolled scopes (level and MMS number).</param>
/// <param name="AmountRule">PayAllOutstanding or UpTo.</param>
/// <param name="CapMinor">The cap of an UpTo rule, in minor units.</param>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="MakeUp">What a run may add after a failed run: None or RollIntoNext.</param>
/// <param name="Frequency">How often it runs.</param>
/// <param name="FirstRunDate">The first run date.</param>
/// <param name="PaymentMethodId">The payment method charged.</param>
/// <param name="PaymentMethod">The payment method as the payer knows it.</param>
/// <param name="PaymentMethodKind">Card or Ach.</param>
/// <param name="BankAccountId">The firm account paid into.</param>
/// <param name="BankAccount">That account's name and kind.</param>
/// <param name="Lifetime">OneYear, PaymentPlan or NoEnrollments.</param>
/// <param name="AuthorizedUntil">The date no run may be on or after (one-year lifetimes).</param>
/// <param name="RangeMinMinor">The lower end of the agreed range, in minor units.</param>
/// <param name="RangeMaxMinor">The upper end of the agreed range, in minor units.</param>
public sealed record AuthorizationTermsResponse(
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
    ScheduleLifetime Lifetime,
    LocalDate? AuthorizedUntil,
    long? RangeMinMinor,
    long? RangeMaxMinor)
{
    public static AuthorizationTermsResponse From(AuthorizationTerms t) => new(
        t.Scopes, t.AmountRule, t.CapMinor, t.Currency, t.MakeUp, t.Frequency, t.FirstRunDate, t.PaymentMethodId, t.PaymentMethod, t.PaymentMethodKind,
        t.BankAccountId, t.BankAccount, t.Lifetime, t.AuthorizedUntil, t.Range?.MinMinor, t.Range?.MaxMinor);
}

/// <summary>One version of a schedule's authorization (never changed once recorded).</summary>
/// <param name="Version">1 for the first, then one more for each widening or renewal.</param>
/// <param name="Reason">Why it was recorded (created, widened and how, renewed).</param>
/// <param name="Terms">What it authorizes.</param>
/// <param name="Text">The authorization text shown to the payer.</param>
/// <param name="TextTemplate">The template the text was rendered from.</param>
/// <param name="Capture">Who captured it and how.</param>
/// <param name="RecordedAt">When it was recorded.</param>
/// <param name="InEffect">True for the version the schedule runs under.</param>
public sealed record AuthorizationVersionResponse(int Version, string Reason, AuthorizationTermsResponse Terms, string Text, string TextTemplate, AuthorizationCaptureResponse Capture, Instant RecordedAt, bool InEffect)
{
    public static AuthorizationVersionResponse From(AuthorizationVersion v, bool inEffect) => new(
        v.Version, v.Reason, AuthorizationTermsResponse.From(v.Terms), v.Text, v.TextTemplate,
        new AuthorizationCaptureResponse(v.Capture.Method, v.Capture.Reference, v.Capture.CapturedBy, v.Capture.CapturedAt), v.RecordedAt, inEffect);
}

/// <summary>The payer withdrew the authorization.</summary>
/// <param name="Version">The version that was withdrawn.</param>
/// <param name="RecordedBy">The staff user who recorded it.</param>
/// <param name="PayersWord">How and when the payer said so.</param>
/// <param name="RevokedAt">When it was recorded (the schedule ended then).</param>
public sealed record AuthorizationRevocationResponse(int Version, string RecordedBy, string PayersWord, Instant RevokedAt);

/// <summary>A schedule's authorization records, kept at least two years after its last payment, also after the schedule or payer is deleted.</summary>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="PayerId">Its payer.</param>
/// <param name="PayerName">The payer's name when the latest version was recorded.</param>
/// <param name="ScheduleExists">False once the schedule (or its payer) was deleted: the records remain.</param>
/// <param name="CurrentVersion">The version in effect.</param>
/// <param name="LifetimeEnd">The end of the schedule's one-year lifetime as it stands (after any renewal).</param>
/// <param name="Versions">Every version, oldest first.</param>
/// <param name="Revocation">The revocation, if the payer withdrew it.</param>
/// <param name="LastPaymentOn">The firm-local date of the schedule's last payment.</param>
/// <param name="RetainUntil">The records are kept at least until this date (two years after the last payment).</param>
public sealed record ScheduleAuthorizationsResponse(
    string ScheduleId,
    string PayerId,
    string PayerName,
    bool ScheduleExists,
    int? CurrentVersion,
    LocalDate? LifetimeEnd,
    IReadOnlyList<AuthorizationVersionResponse> Versions,
    AuthorizationRevocationResponse? Revocation,
    LocalDate? LastPaymentOn,
    LocalDate? RetainUntil) : IExample<ScheduleAuthorizationsResponse>
{
    public static ScheduleAuthorizationsResponse Example
    {
        get
        {
            var terms = new AuthorizationTermsResponse(["Client C-100"], AmountRuleKind.UpTo, 50000, "USD", MakeUpPolicy.None, "Monthly", new LocalDate(2026, 3, 2),
                "pm_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "Visa ending in 4242", PaymentMethodKind.Card, "ba_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "Operating (Operating)",
                ScheduleLifetime.OneYear, new LocalDate(2027, 3, 2), null, null);
            var version = new AuthorizationVersionResponse(1, "Created with the schedule.", terms,
                "I, Acme Holdings AP, authorize Smith & Jones LLP to charge my Visa ending in 4242 every month, starting 2026-03-02, ...\n", ScheduleAuthorizations.TextTemplate,
                new AuthorizationCaptureResponse(CaptureMethod.SignedForm, "Form AP-2026-0042", "staff@smith-jones.example", Instant.FromUtc(2026, 3, 1, 15, 0)),
                Instant.FromUtc(2026, 3, 1, 15, 0), true);
            return new ScheduleAuthorizationsResponse("as_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "Acme Holdings AP", true, 1,
                new LocalDate(2027, 3, 2), [version], null, new LocalDate(2026, 3, 2), new LocalDate(2028, 3, 2));
        }
    }
}
