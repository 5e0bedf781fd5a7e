using NodaTime;

namespace PayConnect.Payments;

/// <summary>The network a charge travels on; soft-decline retry limits differ.</summary>
public enum PaymentRail
{
    Card,
    Ach,
}

/// <summary>Settings of <see cref="DeclinePolicy"/>, bound from the <c>Declines</c> section.</summary>
public sealed class DeclineOptions
{
    public const string SectionName = "Declines";

    /// <summary>
    /// Visa allows 15 reattempts in 30 days (20 from May 2025; FACTS.md); with at least a day between retries
    /// this bound also keeps within Mastercard's 10 in 24 hours. We keep the older, stricter figure.
    /// </summary>
    public const int MaxAllowedSoftDeclineRetries = 15;

    /// <summary>NACHA: an R01/R09 return may be re-presented at most twice (within 180 days).</summary>
    public const int MaxAchRepresentments = 2;

    /// <summary>NACHA: re-presentments must fall within 180 days of the original entry.</summary>
    public const int AchRepresentmentWindowDays = 180;

    /// <summary>Retries after a soft decline, on later days (app setting <c>Declines__MaxSoftDeclineRetries</c>).</summary>
    public int MaxSoftDeclineRetries { get; set; } = 3;

    /// <summary>Days between a soft decline and its retry (app setting <c>Declines__RetryAfterDays</c>).</summary>
    public int RetryAfterDays { get; set; } = 2;

    /// <summary>Problems with the values, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxSoftDeclineRetries is < 0 or > MaxAllowedSoftDeclineRetries)
        {
            errors.Add($"{nameof(MaxSoftDeclineRetries)} must be between 0 and {MaxAllowedSoftDeclineRetries}.");
        }

        if (RetryAfterDays is < 1 or > 30)
        {
            errors.Add($"{nameof(RetryAfterDays)} must be between 1 and 30 days.");
        }

        return errors;
    }
}

/// <summary>What to do after a declined charge: a closed type, <see cref="RetryOn"/> or <see cref="GiveUp"/>.</summary>
public abstract record RetryDecision
{
    private RetryDecision()
    {
    }

    /// <summary>Charge again on <paramref name="Date"/> (firm-local) as attempt <paramref name="Attempt"/>, with that attempt's idempotency key.</summary>
    public sealed record RetryOn(LocalDate Date, int Attempt) : RetryDecision;

    /// <summary>Stop: the run fails with <paramref name="Reason"/>.</summary>
    public sealed record GiveUp(string Reason) : RetryDecision;
}

/// <summary>
/// Decides whether a declined run is charged again (SPEC §2.6). Hard declines never are. Soft declines are retried
/// <see cref="DeclineOptions.RetryAfterDays"/> days later, at most <see cref="DeclineOptions.MaxSoftDeclineRetries"/>
/// times; ACH at most <see cref="DeclineOptions.MaxAchRepresentments"/> times within 180 days of the first attempt.
/// </summary>
public sealed class DeclinePolicy
{
    private readonly DeclineOptions options;

    public DeclinePolicy(DeclineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        this.options = options;
    }

    /// <param name="decline">The decline just received.</param>
    /// <param name="rail">Card or ACH.</param>
    /// <param name="attemptsMade">Charge attempts made for this run so far, including the declined one (≥ 1).</param>
    /// <param name="firstAttemptOn">Firm-local date of the run's first attempt.</param>
    /// <param name="declinedOn">Firm-local date of this decline.</param>
    public RetryDecision Decide(ChargeDeclined decline, PaymentRail rail, int attemptsMade, LocalDate firstAttemptOn, LocalDate declinedOn)
    {
        ArgumentNullException.ThrowIfNull(decline);
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsMade, 1);

        if (decline.Kind == DeclineKind.Hard)
        {
            return new RetryDecision.GiveUp($"Hard decline ({decline.Code}): never retried.");
        }

        var maxRetries = rail == PaymentRail.Ach
            ? Math.Min(options.MaxSoftDeclineRetries, DeclineOptions.MaxAchRepresentments)
            : options.MaxSoftDeclineRetries;
        var retriesMade = attemptsMade - 1;
        if (retriesMade >= maxRetries)
        {
            return new RetryDecision.GiveUp($"Soft decline ({decline.Code}) after {retriesMade} of {maxRetries} retries.");
        }

        var next = declinedOn.PlusDays(Math.Max(options.RetryAfterDays, MinimumRetryDays(decline.Code)));
        if (rail == PaymentRail.Ach && next > firstAttemptOn.PlusDays(DeclineOptions.AchRepresentmentWindowDays))
        {
            return new RetryDecision.GiveUp($"Soft decline ({decline.Code}) outside the {DeclineOptions.AchRepresentmentWindowDays}-day ACH re-presentment window.");
        }

        return new RetryDecision.RetryOn(next, attemptsMade + 1);
    }

    /// <summary>
    /// Whether a returned ACH debit is presented again (NACHA): only for R01 and R09, at most
    /// <see cref="DeclineOptions.MaxAchRepresentments"/> times (and never more than soft-decline retries are allowed),
    /// <see cref="DeclineOptions.RetryAfterDays"/> days after the return, and only within
    /// <see cref="DeclineOptions.AchRepresentmentWindowDays"/> days of the original debit's settlement. Any other code
    /// never: the account or the authorization is gone.
    /// </summary>
    /// <param name="returnCode">The NACHA return code (R01–R85).</param>
    /// <param name="representmentsMade">How many times this debit was already presented again.</param>
    /// <param name="originalSettlement">Firm-local date the original debit settled (or was made, when it never did).</param>
    /// <param name="returnedOn">Firm-local date of this return.</param>
    public RetryDecision DecideReturn(string returnCode, int representmentsMade, LocalDate originalSettlement, LocalDate returnedOn)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(returnCode);
        ArgumentOutOfRangeException.ThrowIfNegative(representmentsMade);
        var code = returnCode.Trim().ToUpperInvariant();
        if (AchReturnCodes.Classify(code) == DeclineKind.Hard)
        {
            return new RetryDecision.GiveUp($"A {code} return is never presented again (NACHA allows it for R01 and R09 only).");
        }

        var max = Math.Min(options.MaxSoftDeclineRetries, DeclineOptions.MaxAchRepresentments);
        if (representmentsMade >= max)
        {
            return new RetryDecision.GiveUp($"Already presented again {representmentsMade} of {max} times.");
        }

        var next = returnedOn.PlusDays(options.RetryAfterDays);
        var last = originalSettlement.PlusDays(DeclineOptions.AchRepresentmentWindowDays);
        if (next > last)
        {
            return new RetryDecision.GiveUp($"Outside the {DeclineOptions.AchRepresentmentWindowDays} days after the original settlement ({last:uuuu-MM-dd}).");
        }

        return new RetryDecision.RetryOn(next, representmentsMade + 1);
    }

    /// <summary>
    /// Days a decline code itself asks to wait. Stripe refuses a card declined too many times for 24 hours
    /// (<c>card_decline_rate_limit_exceeded</c>); runs are dated, not timed, so only two calendar days later is surely
    /// more than 24 hours later whatever the hour of either attempt.
    /// </summary>
    public static int MinimumRetryDays(string code) =>
        string.Equals(code, DeclineCodes.CardDeclineRateLimitExceeded, StringComparison.Ordinal) ? 2 : 1;
}
