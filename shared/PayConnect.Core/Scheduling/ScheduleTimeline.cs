using NodaTime;

namespace PayConnect.Scheduling;

/// <summary>State of an Auto-Pay schedule.</summary>
public enum ScheduleState
{
    /// <summary>Runs on its occurrence dates.</summary>
    Active,

    /// <summary>Runs nothing until resumed; occurrences before the resume date are never run.</summary>
    Paused,

    /// <summary>Never runs again.</summary>
    Ended,
}

/// <summary>What bounds a schedule's life; derived from its enrollments by <see cref="ScheduleTimeline.LifetimeFor"/>.</summary>
public enum ScheduleLifetime
{
    /// <summary>
    /// No enrollments: there is nothing to pay, so no run is ever due and <see cref="ScheduleTimeline.NextRunDate"/> is
    /// null, but the schedule is not finished: it is idle until an enrollment is saved
    /// (<see cref="ScheduleTimeline.WithLifetime"/>), and occurrences that passed while idle are not caught up.
    /// </summary>
    NoEnrollments,

    /// <summary>
    /// At least one Client- or Matter-level enrollment: the schedule runs for at most one year, i.e. only on
    /// occurrences d with d &lt; FirstRunDate.PlusYears(1) (Monthly: 12 runs, Weekly: 53, Annually: 1).
    /// </summary>
    OneYear,

    /// <summary>
    /// Only Invoice-level enrollments (a payment plan): no date cap; finished as soon as every enrolled invoice is paid
    /// (<see cref="ScheduleTimeline.AllEnrolledInvoicesPaid"/>).
    /// </summary>
    PaymentPlan,
}

/// <summary>
/// Which runs of one schedule are due, and when the next one is: a pure value the fan-out loads, asks, and stores back
/// with an advanced cursor. All dates are firm-local (see <see cref="FirmClock"/>).
/// </summary>
/// <remarks>
/// <para>An occurrence d of <see cref="Frequency"/> from <see cref="FirstRunDate"/> (see <see cref="Recurrence"/>) is
/// <em>eligible</em> when d &gt; <see cref="LastScheduledRunDate"/> (if any), d ≥ <see cref="ResumedOn"/> (if any) and
/// d is inside the lifetime (d &lt; <see cref="LifetimeEnd"/> for <see cref="ScheduleLifetime.OneYear"/>).</para>
/// <para>Nothing is due unless the schedule is <see cref="ScheduleState.Active"/>, has enrollments, and (for a payment
/// plan) still has unpaid invoices.</para>
/// <para>Catch-up: <see cref="DueRuns"/> returns every eligible occurrence up to today, so after downtime all missed
/// runs come back once each, oldest first; advancing the cursor past them (<see cref="MarkScheduled"/>) makes sure they
/// never come back.</para>
/// <para>Pause/resume: <see cref="Resume"/> records the resume date in <see cref="ResumedOn"/>, and occurrences before
/// it are never due, so a pause never produces a burst of runs for the paused span. This also drops occurrences that
/// were still waiting (missed by downtime) when the schedule was paused: pausing is the firm's explicit decision to
/// stop charging. <see cref="SkippedIfResumedOn"/> lists them so the caller can record what was skipped.</para>
/// </remarks>
/// <param name="Frequency">How often the schedule runs; must pass <see cref="Frequency.Validate"/>.</param>
/// <param name="FirstRunDate">The firm-local first run date (the anchor of the occurrences).</param>
/// <param name="Lifetime">What bounds the schedule's life, from its enrollments.</param>
/// <param name="State">Active, Paused or Ended.</param>
/// <param name="LastScheduledRunDate">The cursor: the latest run date already sent to the queue; null if none.</param>
/// <param name="ResumedOn">The firm-local date the schedule was last resumed (or first got enrollments after being
/// idle); occurrences before it are never due. Null if never.</param>
/// <param name="AllEnrolledInvoicesPaid">For a payment plan: every enrolled invoice is paid, so the plan is over.
/// Ignored for other lifetimes.</param>
public sealed record ScheduleTimeline(
    Frequency Frequency,
    LocalDate FirstRunDate,
    ScheduleLifetime Lifetime,
    ScheduleState State = ScheduleState.Active,
    LocalDate? LastScheduledRunDate = null,
    LocalDate? ResumedOn = null,
    bool AllEnrolledInvoicesPaid = false)
{
    /// <summary>How often the schedule runs; always valid (see <see cref="Frequency.Validate"/>).</summary>
    /// <exception cref="ArgumentException">The frequency is invalid (callers validate user input first).</exception>
    public Frequency Frequency
    {
        get => field;

        // The initializer sets the backing field directly, so both paths validate.
        init => field = Validated(value);
    } = Validated(Frequency);

    /// <summary>The lifetime that follows from a schedule's enrollments (see <see cref="ScheduleLifetime"/>).</summary>
    public static ScheduleLifetime LifetimeFor(bool hasClientOrMatterEnrollment, bool hasInvoiceEnrollment) =>
        hasClientOrMatterEnrollment ? ScheduleLifetime.OneYear
        : hasInvoiceEnrollment ? ScheduleLifetime.PaymentPlan
        : ScheduleLifetime.NoEnrollments;

    /// <summary>
    /// The exclusive end of a one-year lifetime that was re-authorized (a year from the run after the re-authorization);
    /// null means the first authorization's year. Only used with <see cref="ScheduleLifetime.OneYear"/>.
    /// </summary>
    public LocalDate? AuthorizedUntil { get; init; }

    /// <summary>
    /// Exclusive end of a one-year lifetime: <see cref="AuthorizedUntil"/>, or else <c>FirstRunDate.PlusYears(1)</c>
    /// (Feb 29 → Feb 28 of the next year); only occurrences strictly before it run. Null when the lifetime has no date cap.
    /// </summary>
    public LocalDate? LifetimeEnd => Lifetime == ScheduleLifetime.OneYear ? AuthorizedUntil ?? FirstRunDate.PlusYears(1) : null;

    /// <summary>True when eligible occurrences are actually run: Active, enrolled, and not a paid-off payment plan.</summary>
    public bool IsRunning =>
        State == ScheduleState.Active && Lifetime != ScheduleLifetime.NoEnrollments && !IsPaidOffPlan;

    /// <summary>
    /// The next run date after the cursor (possibly in the past if runs are waiting to be caught up), or null when
    /// nothing will run in the current state. Use it as the schedule's entry in the due index.
    /// </summary>
    public LocalDate? NextRunDate => IsRunning ? FirstOrNull(Eligible(FirstRunDate)) : null;

    /// <summary>
    /// True when the schedule can never run again and should be set to <see cref="ScheduleState.Ended"/>: it is Ended, a
    /// paid-off payment plan, or no eligible occurrence is left (a one-year lifetime used up, a <c>Once</c> already
    /// sent). A paused or idle (<see cref="ScheduleLifetime.NoEnrollments"/>) schedule with occurrences left is not
    /// finished.
    /// </summary>
    public bool IsFinished =>
        State == ScheduleState.Ended
        || IsPaidOffPlan
        || (Lifetime != ScheduleLifetime.NoEnrollments && FirstOrNull(Eligible(FirstRunDate)) is null);

    private bool IsPaidOffPlan => Lifetime == ScheduleLifetime.PaymentPlan && AllEnrolledInvoicesPaid;

    /// <summary>
    /// Every run due by <paramref name="today"/> (the firm-local date): the eligible occurrences ≤ today, oldest first,
    /// each once. Empty unless <see cref="IsRunning"/>.
    /// </summary>
    public IReadOnlyList<LocalDate> DueRuns(LocalDate today) =>
        IsRunning ? Eligible(FirstRunDate).TakeWhile(d => d <= today).ToList() : [];

    /// <summary>
    /// The next <paramref name="count"/> run dates on or after <paramref name="fromDate"/> if nothing changes (for the
    /// preview endpoint). Empty unless <see cref="IsRunning"/>; to preview a paused schedule, ask
    /// <c>Resume(today).Upcoming(...)</c>.
    /// </summary>
    public IReadOnlyList<LocalDate> Upcoming(int count, LocalDate fromDate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return IsRunning ? Eligible(fromDate).Take(count).ToList() : [];
    }

    /// <summary>
    /// True when <paramref name="date"/> is a run date still to come if nothing changes: an eligible occurrence (after the
    /// cursor, on or after <see cref="ResumedOn"/>, inside the lifetime) of a running schedule.
    /// </summary>
    public bool IsComingOccurrence(LocalDate date) => IsRunning && FirstOrNull(Eligible(date)) == date;

    /// <summary>Advances the cursor after the run for <paramref name="runDate"/> was sent; the cursor never moves back.</summary>
    public ScheduleTimeline MarkScheduled(LocalDate runDate) =>
        LastScheduledRunDate is { } cursor && cursor >= runDate ? this : this with { LastScheduledRunDate = runDate };

    /// <summary>Pauses an active schedule. Ended stays Ended.</summary>
    public ScheduleTimeline Pause() => State == ScheduleState.Active ? this with { State = ScheduleState.Paused } : this;

    /// <summary>
    /// Resumes a paused schedule on the firm-local date <paramref name="on"/>: only occurrences on or after it will run
    /// (see <see cref="SkippedIfResumedOn"/>). An active schedule is returned unchanged.
    /// </summary>
    /// <exception cref="InvalidOperationException">The schedule is Ended.</exception>
    public ScheduleTimeline Resume(LocalDate on) => State switch
    {
        ScheduleState.Paused => this with { State = ScheduleState.Active, ResumedOn = Later(ResumedOn, on) },
        ScheduleState.Active => this,
        _ => throw new InvalidOperationException("An ended schedule never runs again."),
    };

    /// <summary>
    /// Applies a change of enrollments made on the firm-local date <paramref name="on"/>. When an idle schedule
    /// (no enrollments) gets its first enrollment, occurrences before <paramref name="on"/> are not caught up, exactly
    /// as for <see cref="Resume"/>.
    /// </summary>
    public ScheduleTimeline WithLifetime(ScheduleLifetime lifetime, LocalDate on) =>
        Lifetime == ScheduleLifetime.NoEnrollments && lifetime != ScheduleLifetime.NoEnrollments
            ? this with { Lifetime = lifetime, ResumedOn = Later(ResumedOn, on) }
            : this with { Lifetime = lifetime };

    /// <summary>
    /// The occurrences that resuming (or enrolling) on <paramref name="resumeDate"/> gives up: eligible now, but before
    /// that date. Lets the caller record the skipped dates instead of dropping them silently.
    /// </summary>
    public IReadOnlyList<LocalDate> SkippedIfResumedOn(LocalDate resumeDate) =>
        State == ScheduleState.Ended ? [] : Eligible(FirstRunDate).TakeWhile(d => d < resumeDate).ToList();

    private IEnumerable<LocalDate> Eligible(LocalDate from)
    {
        var notBefore = from;
        if (LastScheduledRunDate is { } cursor && cursor >= notBefore)
        {
            if (cursor == LocalDate.MaxIsoValue)
            {
                return [];
            }

            notBefore = cursor.PlusDays(1);
        }

        notBefore = Later(ResumedOn, notBefore);
        var occurrences = Recurrence.OccurrencesFrom(Frequency, FirstRunDate, notBefore);
        return LifetimeEnd is { } end ? occurrences.TakeWhile(d => d < end) : occurrences;
    }

    private static Frequency Validated(Frequency frequency)
    {
        ArgumentNullException.ThrowIfNull(frequency);
        return frequency.IsValid
            ? frequency
            : throw new ArgumentException($"Frequency {frequency} is invalid; validate input with Frequency.Validate first.", nameof(frequency));
    }

    private static LocalDate Later(LocalDate? a, LocalDate b) => a is { } value && value > b ? value : b;

    private static LocalDate? FirstOrNull(IEnumerable<LocalDate> dates)
    {
        foreach (var date in dates)
        {
            return date;
        }

        return null;
    }
}
