using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Payers;
using PayConnect.Scheduling;

namespace PayConnect.Connect;

/// <summary>What a schedule is set up with; the create and update requests share it.</summary>
public interface IScheduleRequest
{
    string PaymentMethodId { get; }

    string Name { get; }

    string BankAccountId { get; }

    FrequencyRequest Frequency { get; }

    LocalDate FirstRunDate { get; }

    AmountRuleRequest AmountRule { get; }

    string? ArMessage { get; }

    MakeUpPolicy? MakeUp { get; }

    AuthorizationEvidenceRequest? Authorization { get; }

    decimal? MaxRunAmount { get; }
}

/// <summary>How often an Auto-Pay runs.</summary>
public enum FrequencyKind
{
    /// <summary>Once, on the first run date.</summary>
    Once,

    /// <summary>Every 7 days from the first run date.</summary>
    Weekly,

    /// <summary>Every n weeks from the first run date (n from 1 to 52).</summary>
    EveryNWeeks,

    /// <summary>On day1 and day2 of every month (1 ≤ day1 &lt; day2 ≤ 31), clamped to the month's last day.</summary>
    TwiceMonthly,

    /// <summary>Every month on the first run date's day, clamped to month end.</summary>
    Monthly,

    /// <summary>Every 3 months on the first run date's day.</summary>
    Quarterly,

    /// <summary>Every 6 months on the first run date's day.</summary>
    SemiAnnually,

    /// <summary>Every 12 months on the first run date's day.</summary>
    Annually,
}

/// <summary>A schedule's cadence.</summary>
/// <param name="Kind">How often.</param>
/// <param name="N">EveryNWeeks only (and required for it): the number of weeks between runs.</param>
/// <param name="Day1">TwiceMonthly only (and required for it): the first day of the month.</param>
/// <param name="Day2">TwiceMonthly only (and required for it): the second day of the month, later than day1.</param>
public sealed record FrequencyRequest(FrequencyKind Kind, int? N = null, int? Day1 = null, int? Day2 = null)
{
    public Frequency ToFrequency() => Kind switch
    {
        FrequencyKind.Once => new Frequency.Once(),
        FrequencyKind.Weekly => new Frequency.Weekly(),
        FrequencyKind.EveryNWeeks => new Frequency.EveryNWeeks(N!.Value),
        FrequencyKind.TwiceMonthly => new Frequency.TwiceMonthly(Day1!.Value, Day2!.Value),
        FrequencyKind.Monthly => new Frequency.Monthly(),
        FrequencyKind.Quarterly => new Frequency.Quarterly(),
        FrequencyKind.SemiAnnually => new Frequency.SemiAnnually(),
        _ => new Frequency.Annually(),
    };
}

public sealed class FrequencyRequestValidator : RequestValidator<FrequencyRequest>
{
    public FrequencyRequestValidator()
    {
        RuleFor(x => x.N).Between(1, Frequency.MaxWeeksBetweenRuns);
        RuleFor(x => x.Day1).Between(1, 31);
        RuleFor(x => x.Day2).Between(1, 31);
        When(x => x.Kind == FrequencyKind.EveryNWeeks, () => RuleFor(x => x.N).NotNull().WithMessage("Is required for EveryNWeeks."))
            .Otherwise(() => RuleFor(x => x.N).Null().WithMessage("Only EveryNWeeks takes n."));
        When(x => x.Kind == FrequencyKind.TwiceMonthly, () =>
        {
            RuleFor(x => x.Day1).NotNull().WithMessage("Is required for TwiceMonthly.");
            RuleFor(x => x.Day2).NotNull().WithMessage("Is required for TwiceMonthly.")
                .Must((f, day2) => f.Day1 is not { } day1 || day2 is null || day1 is < 1 or > 31 || day2 > day1).WithMessage("Must be later in the month than day1.");
        }).Otherwise(() =>
        {
            RuleFor(x => x.Day1).Null().WithMessage("Only TwiceMonthly takes day1.");
            RuleFor(x => x.Day2).Null().WithMessage("Only TwiceMonthly takes day2.");
        });
    }
}

/// <summary>How much each run charges.</summary>
/// <param name="Kind">PayAllOutstanding (everything enrolled that is owed) or UpTo (at most the cap).</param>
/// <param name="Cap">UpTo only (and required for it): the most one run charges, in major units of the firm's currency (500.25), with at most its decimals.</param>
public sealed record AmountRuleRequest(AmountRuleKind Kind, decimal? Cap = null);

public sealed class AmountRuleRequestValidator : RequestValidator<AmountRuleRequest>
{
    public AmountRuleRequestValidator()
    {
        RuleFor(x => x.Cap).GreaterThan(0m).WithMessage("Must be more than zero.");
        When(x => x.Kind == AmountRuleKind.UpTo, () => RuleFor(x => x.Cap).NotNull().WithMessage("Is required for UpTo."))
            .Otherwise(() => RuleFor(x => x.Cap).Null().WithMessage("PayAllOutstanding takes no cap."));
    }
}

/// <summary>Sets up an Auto-Pay for the payer. The payment method must be the payer's, the bank account the firm's.</summary>
/// <param name="PaymentMethodId">One of the payer's saved payment methods.</param>
/// <param name="Name">What staff call the schedule.</param>
/// <param name="BankAccountId">The firm's bank account the money goes to.</param>
/// <param name="Frequency">How often it runs.</param>
/// <param name="FirstRunDate">The first run's date at the firm: from today to a year from today.</param>
/// <param name="AmountRule">How much each run charges.</param>
/// <param name="ArMessage">A message for the firm's books with every payment (never a card or account number).</param>
/// <param name="MaxRunAmount">Optional: a run allocating more than this (major units) waits for approval.</param>
/// <param name="MakeUp">After a failed run: None (the default) or RollIntoNext (an up-to run may add what the failed run would have charged, never beyond what is owed).</param>
/// <param name="Authorization">The payer's authorization this is set up under: how it was captured and its reference; left out, the version records NotRecorded.</param>
public sealed record CreateScheduleRequest(
    string PaymentMethodId,
    string Name,
    string BankAccountId,
    FrequencyRequest Frequency,
    LocalDate FirstRunDate,
    AmountRuleRequest AmountRule,
    string? ArMessage = null,
    decimal? MaxRunAmount = null,
    MakeUpPolicy? MakeUp = null,
    AuthorizationEvidenceRequest? Authorization = null) : IScheduleRequest, IExample<CreateScheduleRequest>
{
    public static CreateScheduleRequest Example => new(
        "pm_0195f1c2a3b47c8d9e0f1a2b3c4d5e70", "Monthly retainer", "ba_0195f1c2a3b47c8d9e0f1a2b3c4d5e71",
        new FrequencyRequest(FrequencyKind.Monthly), new LocalDate(2026, 4, 1), new AmountRuleRequest(AmountRuleKind.UpTo, 500.25m), "Auto-Pay for Acme Holdings");
}

/// <summary>Replaces what a schedule is set up with (not its state or enrollments). A new cadence runs from the day of the change.</summary>
/// <param name="PaymentMethodId">One of the payer's saved payment methods.</param>
/// <param name="Name">What staff call the schedule.</param>
/// <param name="BankAccountId">The firm's bank account the money goes to.</param>
/// <param name="Frequency">How often it runs.</param>
/// <param name="FirstRunDate">The first run's date at the firm: unchanged, or from today to a year from today.</param>
/// <param name="AmountRule">How much each run charges.</param>
/// <param name="ArMessage">A message for the firm's books with every payment (never a card or account number).</param>
/// <param name="MaxRunAmount">Optional: a run allocating more than this (major units) waits for approval.</param>
/// <param name="MakeUp">After a failed run: None or RollIntoNext; left out keeps the current policy.</param>
/// <param name="Authorization">The evidence for a change that widens the authorization; left out, a widened version records NotRecorded.</param>
public sealed record UpdateScheduleRequest(
    string PaymentMethodId,
    string Name,
    string BankAccountId,
    FrequencyRequest Frequency,
    LocalDate FirstRunDate,
    AmountRuleRequest AmountRule,
    string? ArMessage = null,
    decimal? MaxRunAmount = null,
    MakeUpPolicy? MakeUp = null,
    AuthorizationEvidenceRequest? Authorization = null) : IScheduleRequest, IExample<UpdateScheduleRequest>
{
    public static UpdateScheduleRequest Example => new(
        "pm_0195f1c2a3b47c8d9e0f1a2b3c4d5e70", "Twice-monthly retainer", "ba_0195f1c2a3b47c8d9e0f1a2b3c4d5e71",
        new FrequencyRequest(FrequencyKind.TwiceMonthly, Day1: 1, Day2: 15), new LocalDate(2026, 4, 1), new AmountRuleRequest(AmountRuleKind.PayAllOutstanding));
}

/// <summary>The rules both schedule requests share.</summary>
public abstract class ScheduleRequestValidator<T> : RequestValidator<T>
    where T : IScheduleRequest
{
    protected ScheduleRequestValidator()
    {
        RuleFor(x => x.PaymentMethodId).Text(100);
        RuleFor(x => x.Name).Text(100).NoCardNumber();
        RuleFor(x => x.BankAccountId).Text(100);
        RuleFor(x => x.ArMessage).Text(ScheduleHandlers.MaxArMessageLength, min: 0).NoCardNumber();
        RuleFor(x => x.MaxRunAmount).GreaterThan(0m).WithMessage("Must be more than zero.");
        RuleFor(x => x.Frequency).SetValidator(new FrequencyRequestValidator());
        RuleFor(x => x.AmountRule).SetValidator(new AmountRuleRequestValidator());
        RuleFor(x => x.MakeUp).IsInEnum().When(x => x.MakeUp is not null);
        RuleFor(x => x.Authorization!).SetValidator(new AuthorizationEvidenceRequestValidator()).When(x => x.Authorization is not null);
    }
}

/// <summary>How the payer's authorization for a schedule (or a change that widens it) was captured.</summary>
/// <param name="Method">SignedForm (staff on the payer's behalf, from a form the payer signed), PayerEConsent, or NotRecorded.</param>
/// <param name="Reference">The signed form's or the consent record's reference; required unless NotRecorded.</param>
/// <param name="AmountRange">A range the payer agreed each debit falls within (a bank debit inside it needs only the firm's notice days, not 10).</param>
public sealed record AuthorizationEvidenceRequest(Authorizations.CaptureMethod Method, string? Reference = null, Authorizations.AmountRangeRequest? AmountRange = null)
{
    /// <summary>What the authorization records keep, the range in minor units of <paramref name="currency"/> (errors under <paramref name="field"/>).</summary>
    public static Authorizations.CaptureInput ToCapture(AuthorizationEvidenceRequest? request, string currency, string field, Api.FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (request is null)
        {
            return new Authorizations.CaptureInput(Authorizations.CaptureMethod.NotRecorded, null, null);
        }

        Authorizations.AmountRange? range = null;
        if (request.AmountRange is { } r)
        {
            if (Currencies.TryToMinor(r.Min, currency, out var min) && Currencies.TryToMinor(r.Max, currency, out var max))
            {
                range = new Authorizations.AmountRange(min, max);
            }
            else
            {
                errors.Add(field + ".amountRange.max", $"Amounts have at most {Currencies.Exponent(currency)} decimals in {currency}.");
            }
        }

        return new Authorizations.CaptureInput(request.Method, string.IsNullOrWhiteSpace(request.Reference) ? null : request.Reference, range);
    }
}

public sealed class AuthorizationEvidenceRequestValidator : RequestValidator<AuthorizationEvidenceRequest>
{
    public AuthorizationEvidenceRequestValidator()
    {
        RuleFor(x => x.Method).IsInEnum();
        RuleFor(x => x.Reference).Text(Authorizations.ScheduleAuthorizations.MaxReferenceLength, min: 0).NoCardNumber();
        RuleFor(x => x.Reference).NotEmpty().When(x => x.Method != Authorizations.CaptureMethod.NotRecorded)
            .WithMessage("Is required with method SignedForm (the signed form's reference) or PayerEConsent (the consent record's reference).");
        RuleFor(x => x.AmountRange!).SetValidator(new Authorizations.AmountRangeRequestValidator()).When(x => x.AmountRange is not null);
    }
}

public sealed class CreateScheduleRequestValidator : ScheduleRequestValidator<CreateScheduleRequest>;

public sealed class UpdateScheduleRequestValidator : ScheduleRequestValidator<UpdateScheduleRequest>;

/// <summary>Replaces the schedule's enrolled associations.</summary>
/// <param name="AssociationIds">Associations of the schedule's payer, each once; empty to enroll nothing.</param>
/// <param name="Authorization">The evidence for enrollments that widen the authorization; left out, a widened version records NotRecorded.</param>
public sealed record PutEnrollmentsRequest(IReadOnlyList<string> AssociationIds, AuthorizationEvidenceRequest? Authorization = null) : IExample<PutEnrollmentsRequest>
{
    public static PutEnrollmentsRequest Example => new(["client-Qy0xMDA"]);
}

public sealed class PutEnrollmentsRequestValidator : RequestValidator<PutEnrollmentsRequest>
{
    public PutEnrollmentsRequestValidator()
    {
        RuleFor(x => x.AssociationIds).Items(0, ScheduleHandlers.MaxEnrollments);
        RuleForEach(x => x.AssociationIds).Text(100);
        RuleFor(x => x.Authorization!).SetValidator(new AuthorizationEvidenceRequestValidator()).When(x => x.Authorization is not null);
        RuleFor(x => x.AssociationIds).Custom((ids, context) =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < (ids?.Count ?? 0); i++)
            {
                if (ids![i] is { } id && !seen.Add(id))
                {
                    context.AddFailure($"associationIds[{i}]", "Appears more than once.");
                }
            }
        });
    }
}

/// <summary>How many upcoming run dates to show.</summary>
/// <param name="Count">How many dates (default 5).</param>
public sealed record UpcomingRunsQuery(int? Count = null);

public sealed class UpcomingRunsQueryValidator : RequestValidator<UpcomingRunsQuery>
{
    public UpcomingRunsQueryValidator() => RuleFor(x => x.Count).InclusiveBetween(1, 100).WithMessage("Must be a whole number from 1 to 100.");
}

/// <summary>How much each run charges.</summary>
/// <param name="Kind">PayAllOutstanding or UpTo.</param>
/// <param name="CapMinor">UpTo: the most one run charges, in minor units; null for PayAllOutstanding.</param>
/// <param name="Currency">ISO 4217 code (the firm's currency when the schedule was created).</param>
public sealed record ScheduleAmountRuleResponse(AmountRuleKind Kind, long? CapMinor, string Currency);

/// <summary>An Auto-Pay schedule.</summary>
/// <param name="Id">The schedule's id.</param>
/// <param name="PayerId">Its payer.</param>
/// <param name="PaymentMethodId">The payment method it charges.</param>
/// <param name="Name">What staff call it.</param>
/// <param name="BankAccountId">The firm's bank account the money goes to.</param>
/// <param name="ArMessage">The message for the firm's books.</param>
/// <param name="Frequency">The cadence in its compact form: Once, Weekly, EveryNWeeks:n, TwiceMonthly:day1,day2, Monthly, Quarterly, SemiAnnually or Annually.</param>
/// <param name="FirstRunDate">The first run's date at the firm.</param>
/// <param name="AmountRule">How much each run charges.</param>
/// <param name="MaxRunAmountMinor">A run allocating more (minor units) waits for approval; null for none.</param>
/// <param name="State">Active, Paused or Ended.</param>
/// <param name="EndReason">Why it ended: Staff, Completed or PaidOff.</param>
/// <param name="StateChangedBy">Who last paused, resumed or ended it.</param>
/// <param name="StateChangedAt">When.</param>
/// <param name="Lifetime">What bounds its life, from its enrollments.</param>
/// <param name="LifetimeEnd">The date no run may be on or after, for a one-year lifetime (a re-authorization moves it); null otherwise.</param>
/// <param name="MakeUp">What a run may add after a failed run: None or RollIntoNext.</param>
/// <param name="AuthorizationVersion">The version of the authorization in effect (GET …/authorizations lists them all).</param>
/// <param name="EnrolledAssociationIds">The associations it pays.</param>
/// <param name="NextRunDate">Its next run's date at the firm; null when none is due.</param>
/// <param name="LastScheduledRunDate">The last run date the fan-out has sent.</param>
/// <param name="Skips">Occurrences skipped by staff, by date.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record ScheduleResponse(
    string Id,
    string PayerId,
    string PaymentMethodId,
    string Name,
    string BankAccountId,
    string? ArMessage,
    string Frequency,
    LocalDate FirstRunDate,
    ScheduleAmountRuleResponse AmountRule,
    long? MaxRunAmountMinor,
    ScheduleState State,
    ScheduleEndReason? EndReason,
    string? StateChangedBy,
    Instant? StateChangedAt,
    ScheduleLifetime Lifetime,
    LocalDate? LifetimeEnd,
    MakeUpPolicy MakeUp,
    int? AuthorizationVersion,
    IReadOnlyList<string> EnrolledAssociationIds,
    LocalDate? NextRunDate,
    LocalDate? LastScheduledRunDate,
    IReadOnlyList<ScheduleSkipResponse> Skips,
    Instant CreatedAt,
    Instant UpdatedAt) : IExample<ScheduleResponse>
{
    public static ScheduleResponse Example => new(
        "as_0195f1c2a3b47c8d9e0f1a2b3c4d5e72", "py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "pm_0195f1c2a3b47c8d9e0f1a2b3c4d5e70", "Monthly retainer",
        "ba_0195f1c2a3b47c8d9e0f1a2b3c4d5e71", "Auto-Pay for Acme Holdings", "Monthly", new LocalDate(2026, 4, 1),
        new ScheduleAmountRuleResponse(AmountRuleKind.UpTo, 50025, "USD"), null, ScheduleState.Active, null, null, null, ScheduleLifetime.OneYear,
        new LocalDate(2027, 4, 1), MakeUpPolicy.None, 2, ["client-Qy0xMDA"], new LocalDate(2026, 4, 1), null, [ScheduleSkipResponse.Example], Instant.FromUtc(2026, 3, 2, 15, 0), Instant.FromUtc(2026, 3, 2, 15, 0));

    public static ScheduleResponse From(Schedule s) => new(
        s.Id, s.PayerId, s.PaymentMethodId, s.Name, s.BankAccountId, s.ArMessage, s.Frequency, s.FirstRunDate,
        new ScheduleAmountRuleResponse(s.AmountRule, s.CapMinor, s.Currency), s.MaxRunAmountMinor, s.State, s.EndReason, s.StateChangedBy,
        s.StateChangedAt, s.Lifetime, s.Timeline().LifetimeEnd, s.MakeUp, s.Authorization?.Version, s.EnrolledAssociationIds, s.NextRunDate, s.LastScheduledRunDate,
        s.Skips.Select(k => new ScheduleSkipResponse(k.Date, k.By, k.At, k.Reason)).ToList(), s.CreatedAt, s.UpdatedAt);
}

/// <summary>A schedule's enrollments.</summary>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="Lifetime">What bounds its life, from these enrollments.</param>
/// <param name="Items">The enrolled associations.</param>
public sealed record EnrollmentsResponse(string ScheduleId, ScheduleLifetime Lifetime, IReadOnlyList<AssociationResponse> Items) : IExample<EnrollmentsResponse>
{
    public static EnrollmentsResponse Example => new("as_0195f1c2a3b47c8d9e0f1a2b3c4d5e72", ScheduleLifetime.OneYear, [AssociationResponse.Example]);
}

/// <summary>The next run dates of a schedule as it stands.</summary>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="From">Today at the firm, where the preview starts.</param>
/// <param name="Dates">The next run dates, at most count of them (skipped ones included).</param>
/// <param name="Occurrences">The same dates, each with whether staff skipped it, who, when and why.</param>
public sealed record UpcomingRunsResponse(string ScheduleId, LocalDate From, IReadOnlyList<LocalDate> Dates, IReadOnlyList<UpcomingOccurrenceResponse> Occurrences) : IExample<UpcomingRunsResponse>
{
    public static UpcomingRunsResponse Example => new(
        "as_0195f1c2a3b47c8d9e0f1a2b3c4d5e72", new LocalDate(2026, 3, 2), [new LocalDate(2026, 4, 1), new LocalDate(2026, 5, 1)],
        [UpcomingOccurrenceResponse.Of(new LocalDate(2026, 4, 1), null), UpcomingOccurrenceResponse.Example]);
}

/// <summary>One coming run date and whether it is skipped.</summary>
/// <param name="Date">The run date at the firm.</param>
/// <param name="Skipped">Staff skipped it: its run charges nothing.</param>
/// <param name="SkippedBy">Who skipped it.</param>
/// <param name="SkippedAt">When.</param>
/// <param name="Reason">Why, when given.</param>
public sealed record UpcomingOccurrenceResponse(LocalDate Date, bool Skipped, string? SkippedBy, Instant? SkippedAt, string? Reason) : IExample<UpcomingOccurrenceResponse>
{
    public static UpcomingOccurrenceResponse Example => Of(new LocalDate(2026, 5, 1), new ScheduleSkip(new LocalDate(2026, 5, 1), "staff@smith-jones.test", "Client on holiday", Instant.FromUtc(2026, 3, 2, 15, 0)));

    public static UpcomingOccurrenceResponse Of(LocalDate date, ScheduleSkip? skip) => new(date, skip is not null, skip?.By, skip?.At, skip?.Reason);
}

/// <summary>An occurrence skipped by staff.</summary>
/// <param name="Date">The skipped run date at the firm.</param>
/// <param name="SkippedBy">Who skipped it.</param>
/// <param name="SkippedAt">When.</param>
/// <param name="Reason">Why, when given.</param>
public sealed record ScheduleSkipResponse(LocalDate Date, string SkippedBy, Instant SkippedAt, string? Reason) : IExample<ScheduleSkipResponse>
{
    public static ScheduleSkipResponse Example => new(new LocalDate(2026, 5, 1), "staff@smith-jones.test", Instant.FromUtc(2026, 3, 2, 15, 0), "Client on holiday");
}

/// <summary>Skips one coming occurrence of the schedule: its run is recorded Skipped and charges nothing.</summary>
/// <param name="Date">A coming run date of the schedule (after today at the firm; see its upcoming preview).</param>
/// <param name="Reason">Why, for the run's record (never a card or account number).</param>
public sealed record CreateScheduleSkipRequest(LocalDate Date, string? Reason = null) : IExample<CreateScheduleSkipRequest>
{
    public static CreateScheduleSkipRequest Example => new(new LocalDate(2026, 4, 2), "Client on holiday");
}

public sealed class CreateScheduleSkipRequestValidator : RequestValidator<CreateScheduleSkipRequest>
{
    public CreateScheduleSkipRequestValidator() => RuleFor(x => x.Reason).Text(ScheduleHandlers.MaxSkipReasonLength, min: 0).NoCardNumber();
}
