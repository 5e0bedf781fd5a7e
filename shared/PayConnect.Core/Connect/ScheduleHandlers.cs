using NodaTime;
using PayConnect.Allocation;
using PayConnect.Api;
using PayConnect.Payers;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Connect;

/// <summary>
/// Auto-Pay schedules, their enrollments, skipped occurrences and authorizations; every change is saved through
/// <see cref="DueIndex.SaveAsync"/>, which keeps the schedule's next run indexed whatever write fails.
/// </summary>
public sealed class ScheduleHandlers(IRecordStore store, DueIndex dueIndex, RunLedger runs, IClock clock, Authorizations.ScheduleAuthorizations authorizations)
{
    public const int MaxEnrollments = 200;
    public const int MaxArMessageLength = 250;
    public const int MaxSkipReasonLength = 250;

    /// <summary>Skipped occurrences a schedule keeps at once.</summary>
    public const int MaxSkips = 60;

    public async Task<ApiResult> CreateAsync(string firmId, string payerId, CreateScheduleRequest body, string by, CancellationToken ct)
    {
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        if (firm is null)
        {
            return new ApiResult.Conflict("Set the firm's settings (time zone, currency) before creating Auto-Pay schedules.");
        }

        var errors = new FieldErrors();
        var capture = AuthorizationEvidenceRequest.ToCapture(body.Authorization, firm.Value.Currency, "authorization", errors);
        var makeUp = body.MakeUp;
        var fields = await ReadAsync(firmId, payerId, firm.Value, body, errors, ct);
        if (fields is null)
        {
            return new ApiResult.Invalid(errors);
        }

        var payer = await store.GetAsync<Payer>(firmId, payerId, ct);
        if (payer is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var now = clock.GetCurrentInstant();
        var schedule = new Schedule(Ids.New("as"), payerId, fields.PaymentMethodId, fields.Name, fields.BankAccountId, fields.ArMessage,
            fields.Frequency.Format(), fields.FirstRunDate, fields.Rule, fields.CapMinor, firm.Value.Currency, ScheduleState.Active, [], now, now)
            {
                MaxRunAmountMinor = fields.MaxRunAmountMinor,
                Charging = fields.Charging,
                MakeUp = makeUp ?? MakeUpPolicy.None,
                PayerCopy = PayerCopy.Of(payer.Value),
            }
            .WithNextRun();
        schedule = await authorizations.AttachAsync(firmId, null, schedule, capture, by, ct);
        var stored = await dueIndex.SaveAsync(firmId, null, schedule, null, firm.Value.TimeZone, ct);
        await authorizations.KeepAsync(firmId, schedule, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/schedules/{schedule.Id}", ScheduleResponse.From(schedule), stored.ETag);
    }

    public async Task<ApiResult> UpdateAsync(string firmId, string scheduleId, UpdateScheduleRequest body, string by, string? ifMatch, CancellationToken ct)
    {
        var existing = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        if (existing is null || firm is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var errors = new FieldErrors();
        var capture = AuthorizationEvidenceRequest.ToCapture(body.Authorization, firm.Value.Currency, "authorization", errors);
        var makeUp = body.MakeUp;
        var fields = await ReadAsync(firmId, existing.Value.PayerId, firm.Value, body, errors, ct, existing.Value);
        if (fields is null)
        {
            return new ApiResult.Invalid(errors);
        }

        if (existing.Value.State == ScheduleState.Ended)
        {
            return new ApiResult.Conflict("An ended schedule cannot be changed.");
        }

        var changedTiming = fields.Frequency.Format() != existing.Value.Frequency || fields.FirstRunDate != existing.Value.FirstRunDate;
        var edited = existing.Value with
        {
            PaymentMethodId = fields.PaymentMethodId,
            Name = fields.Name,
            BankAccountId = fields.BankAccountId,
            ArMessage = fields.ArMessage,
            Frequency = fields.Frequency.Format(),
            FirstRunDate = fields.FirstRunDate,
            AmountRule = fields.Rule,
            CapMinor = fields.CapMinor,
            MaxRunAmountMinor = fields.MaxRunAmountMinor,
            Charging = fields.Charging,
            MakeUp = makeUp ?? existing.Value.MakeUp,
            UpdatedAt = clock.GetCurrentInstant(),

            // A new cadence starts afresh from its first run date, but never before the day of the change: its dates
            // already past were never due (no missed occurrences to catch up), and nothing of the old cadence is invented.
            LastScheduledRunDate = changedTiming ? null : existing.Value.LastScheduledRunDate,
            ResumedOn = changedTiming ? firm.Value.TodayAt(clock.GetCurrentInstant()) : existing.Value.ResumedOn,
        };

        // Skips of dates the new cadence no longer has would never apply.
        var timeline = edited.Timeline().Resume(firm.Value.TodayAt(clock.GetCurrentInstant()));
        var updated = changedTiming ? edited with { Skips = edited.Skips.Where(k => timeline.IsComingOccurrence(k.Date)).ToList() } : edited;
        updated = await authorizations.AttachAsync(firmId, existing.Value, updated.WithNextRun(), capture, by, ct);
        var saved = await SaveAsync(firmId, existing, updated, ifMatch, firm.Value.TimeZone, ct);
        if (saved is ApiResult.Ok)
        {
            await authorizations.KeepAsync(firmId, updated, ct);
        }

        return saved;
    }

    public async Task<ApiResult> GetAsync(string firmId, string scheduleId, CancellationToken ct)
    {
        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        return schedule is null ? ApiResult.NotFoundOf("Schedule", scheduleId) : new ApiResult.Ok(ScheduleResponse.From(schedule.Value), schedule.ETag);
    }

    public async Task<ApiResult> ListForPayerAsync(string firmId, string payerId, Paging paging, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var page = await store.ListAsync<Schedule>(firmId, string.Empty, paging.PageSize, paging.Continuation, s => s.PayerId == payerId, ct);
        return new ApiResult.Ok(Page<ScheduleResponse>.From(page, ScheduleResponse.From));
    }

    /// <summary>Pauses: no run that has not charged yet will charge (it is recorded Skipped with who paused it).</summary>
    public Task<ApiResult> PauseAsync(string firmId, string scheduleId, string by, string? ifMatch, CancellationToken ct) =>
        TransitionAsync(firmId, scheduleId, ifMatch, (s, _) => s.State switch
        {
            ScheduleState.Active => s with { State = ScheduleState.Paused, StateChangedBy = by, StateChangedAt = clock.GetCurrentInstant() },
            ScheduleState.Paused => s,
            _ => null,
        }, ct);

    public Task<ApiResult> ResumeAsync(string firmId, string scheduleId, string by, string? ifMatch, CancellationToken ct) =>
        TransitionAsync(firmId, scheduleId, ifMatch, (s, today) => s.State switch
        {
            ScheduleState.Paused => s with
            {
                State = ScheduleState.Active,
                ResumedOn = s.Timeline().Resume(today).ResumedOn,
                StateChangedBy = by,
                StateChangedAt = clock.GetCurrentInstant(),
            },
            ScheduleState.Active => s,
            _ => null,
        }, ct);

    /// <summary>Ends the schedule for good: runs that have not charged yet are skipped.</summary>
    public Task<ApiResult> EndAsync(string firmId, string scheduleId, string by, string? ifMatch, CancellationToken ct) =>
        TransitionAsync(firmId, scheduleId, ifMatch, (s, _) => s.State == ScheduleState.Ended
            ? s
            : s with { State = ScheduleState.Ended, EndReason = ScheduleEndReason.Staff, StateChangedBy = by, StateChangedAt = clock.GetCurrentInstant() }, ct);

    public async Task<ApiResult> GetEnrollmentsAsync(string firmId, string scheduleId, CancellationToken ct)
    {
        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (schedule is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var items = new List<AssociationResponse>();
        foreach (var id in schedule.Value.EnrolledAssociationIds)
        {
            if (await store.GetAsync<Association>(firmId, Association.KeyOf(schedule.Value.PayerId, id), ct) is { } association)
            {
                items.Add(AssociationResponse.From(association.Value));
            }
        }

        return new ApiResult.Ok(new EnrollmentsResponse(scheduleId, schedule.Value.Lifetime, items), schedule.ETag);
    }

    /// <summary>Replaces the enrolled set; only the payer's own associations can be enrolled.</summary>
    public async Task<ApiResult> PutEnrollmentsAsync(string firmId, string scheduleId, PutEnrollmentsRequest body, string by, string? ifMatch, CancellationToken ct)
    {
        var ids = body.AssociationIds;
        var errors = new FieldErrors();
        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (schedule is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var capture = AuthorizationEvidenceRequest.ToCapture(body.Authorization, schedule.Value.Currency, "authorization", errors);

        var levels = new List<AssociationLevel>();
        var scopes = new List<EnrolledScope>();
        {
            for (var i = 0; i < ids.Count; i++)
            {
                var association = Ids.IsWellFormed(ids[i]) ? await store.GetAsync<Association>(firmId, Association.KeyOf(schedule.Value.PayerId, ids[i]), ct) : null;
                if (association is null)
                {
                    errors.Add($"associationIds[{i}]", "Is not one of this payer's associations.");
                }
                else
                {
                    levels.Add(association.Value.Level);
                    scopes.Add(EnrolledScope.Of(association.Value));
                }
            }
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        if (schedule.Value.State == ScheduleState.Ended)
        {
            return new ApiResult.Conflict("An ended schedule's enrollments cannot be changed.");
        }

        var lifetime = ScheduleTimeline.LifetimeFor(
            levels.Any(l => l is AssociationLevel.Client or AssociationLevel.Matter),
            levels.Contains(AssociationLevel.Invoice));
        var (today, zone) = await FirmTodayAsync(firmId, ct);
        var timeline = schedule.Value.Timeline().WithLifetime(lifetime, today);
        var updated = schedule.Value with
        {
            EnrolledAssociationIds = ids,
            EnrolledScopes = scopes,
            Lifetime = timeline.Lifetime,
            ResumedOn = timeline.ResumedOn,
            UpdatedAt = clock.GetCurrentInstant(),
        };
        updated = await authorizations.AttachAsync(firmId, schedule.Value, updated.WithNextRun(), capture, by, ct);
        var result = await SaveAsync(firmId, schedule, updated, ifMatch, zone, ct);
        if (result is ApiResult.Ok)
        {
            await authorizations.KeepAsync(firmId, updated, ct);
        }

        return result is ApiResult.Ok ? await GetEnrollmentsAsync(firmId, scheduleId, ct) : result;
    }

    public async Task<ApiResult> UpcomingAsync(string firmId, string scheduleId, UpcomingRunsQuery query, CancellationToken ct)
    {
        var count = query.Count ?? 5;

        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (schedule is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var (today, _) = await FirmTodayAsync(firmId, ct);
        var s = schedule.Value;
        var dates = s.Timeline().Upcoming(count, today);
        return new ApiResult.Ok(new UpcomingRunsResponse(scheduleId, today, dates, dates.Select(d => UpcomingOccurrenceResponse.Of(d, s.SkipOf(d))).ToList()));
    }

    /// <summary>
    /// Skips one future occurrence: its run is recorded Skipped, with who and why, and charges nothing. Only a date the
    /// schedule will run (after today at the firm; a paused schedule's dates as if resumed today) can be skipped. Asking
    /// again for a date already skipped answers 200 and saves again (a retry after a failure repairs the due index).
    /// </summary>
    public async Task<ApiResult> SkipAsync(string firmId, string scheduleId, CreateScheduleSkipRequest body, string by, string? ifMatch, CancellationToken ct)
    {
        LocalDate? date = body.Date;
        var reason = body.Reason;

        var existing = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (existing is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var s = existing.Value;
        if (s.State == ScheduleState.Ended)
        {
            return new ApiResult.Conflict("An ended schedule has no occurrences to skip.");
        }

        var (today, zone) = await FirmTodayAsync(firmId, ct);
        var repeat = s.SkipOf(date!.Value);
        if (repeat is null)
        {
            if (date <= today)
            {
                return new ApiResult.Invalid(FieldErrors.One("date", $"Must be a future occurrence: after today ({today:yyyy-MM-dd} at the firm)."));
            }

            if (!s.Timeline().Resume(today).IsComingOccurrence(date.Value))
            {
                return new ApiResult.Invalid(FieldErrors.One("date", "Is not one of this schedule's coming run dates (see its upcoming preview)."));
            }

            if (s.Skips.Count(k => k.Date > today) >= MaxSkips)
            {
                return new ApiResult.Conflict($"A schedule keeps at most {MaxSkips} skipped occurrences; un-skip one first.");
            }
        }

        var skips = s.Skips.Where(k => k.Date != date && k.Date >= today.PlusDays(-31))
            .Append(repeat ?? new ScheduleSkip(date.Value, by, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), clock.GetCurrentInstant()))
            .OrderBy(k => k.Date)
            .ToList();
        var result = await SaveAsync(firmId, existing, (s with { Skips = skips, UpdatedAt = clock.GetCurrentInstant() }).WithNextRun(), ifMatch, zone, ct);
        return result is ApiResult.Ok ok && repeat is null
            ? new ApiResult.Created($"/api/firms/{firmId}/schedules/{scheduleId}/skips/{date:yyyy-MM-dd}", ok.Body, ok.ETag)
            : result;
    }

    /// <summary>Undoes the skip of a future occurrence: its run charges as usual.</summary>
    public async Task<ApiResult> UnskipAsync(string firmId, string scheduleId, string dateText, string? ifMatch, CancellationToken ct)
    {
        if (NodaTime.Text.LocalDatePattern.Iso.Parse(dateText) is not { Success: true } parsed)
        {
            return new ApiResult.Invalid(FieldErrors.One("date", "Must be a date (yyyy-MM-dd)."));
        }

        var date = parsed.Value;
        var existing = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (existing is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        if (existing.Value.SkipOf(date) is null)
        {
            return new ApiResult.NotFound($"The occurrence of {date:yyyy-MM-dd} is not skipped.");
        }

        if (existing.Value.State == ScheduleState.Ended)
        {
            return new ApiResult.Conflict("An ended schedule cannot be changed.");
        }

        var (today, zone) = await FirmTodayAsync(firmId, ct);
        if (date <= today)
        {
            return new ApiResult.Conflict($"The run of {date:yyyy-MM-dd} is already due; only a future occurrence's skip can be undone.");
        }

        var updated = existing.Value with { Skips = existing.Value.Skips.Where(k => k.Date != date).ToList(), UpdatedAt = clock.GetCurrentInstant() };
        return await SaveAsync(firmId, existing, updated.WithNextRun(), ifMatch, zone, ct);
    }

    /// <summary>Today at the firm in its own time zone, and the zone's id (UTC when the firm has no settings).</summary>
    private async Task<(LocalDate Today, string Zone)> FirmTodayAsync(string firmId, CancellationToken ct)
    {
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        var now = clock.GetCurrentInstant();
        return firm is null ? (FirmClock.TodayIn(DateTimeZone.Utc, now), DateTimeZone.Utc.Id) : (firm.Value.TodayAt(now), firm.Value.TimeZone);
    }

    private async Task<ApiResult> TransitionAsync(string firmId, string scheduleId, string? ifMatch, Func<Schedule, LocalDate, Schedule?> change, CancellationToken ct)
    {
        var existing = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (existing is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var (today, zone) = await FirmTodayAsync(firmId, ct);
        var updated = change(existing.Value, today);
        if (updated is null)
        {
            return new ApiResult.Conflict($"The schedule is {existing.Value.State}; that change is not possible.");
        }

        return await SaveAsync(firmId, existing, (updated with { UpdatedAt = clock.GetCurrentInstant() }).WithNextRun(), ifMatch, zone, ct);
    }

    /// <summary>
    /// Saves through the due index even when nothing in the timing changed: a retry of a save that failed half-way
    /// (answered 500) writes the schedule's entry again.
    /// </summary>
    private async Task<ApiResult> SaveAsync(string firmId, Stored<Schedule> existing, Schedule updated, string? ifMatch, string zone, CancellationToken ct)
    {
        updated = await EndedIfFinishedAsync(firmId, updated, ct);
        try
        {
            var stored = await dueIndex.SaveAsync(firmId, existing, updated, ifMatch, zone, ct);
            return new ApiResult.Ok(ScheduleResponse.From(updated), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    /// <summary>
    /// A change that leaves an active schedule no occurrence to run (a new cadence or a resume past its lifetime) ends it
    /// when its runs have all finished: no run is left to end it (SPEC §1 Lifetime). Otherwise its last run does.
    /// </summary>
    private async Task<Schedule> EndedIfFinishedAsync(string firmId, Schedule schedule, CancellationToken ct)
    {
        if (schedule.State != ScheduleState.Active || schedule.Lifetime == ScheduleLifetime.NoEnrollments || !schedule.Timeline().IsFinished)
        {
            return schedule;
        }

        var all = await runs.RunsOfScheduleAsync(firmId, schedule.Id, ct);
        var lastBegun = schedule.LastSentRunDate is not { } last || all.Any(r => r.Value.RunDate == last);
        return lastBegun && all.All(r => r.Value.IsFinal)
            ? schedule with { State = ScheduleState.Ended, EndReason = ScheduleEndReason.Completed, NextRunDate = null }
            : schedule;
    }

    private sealed record ScheduleFields(string PaymentMethodId, string Name, string BankAccountId, string? ArMessage, Frequency Frequency, LocalDate FirstRunDate, AmountRuleKind Rule, long? CapMinor, long? MaxRunAmountMinor, ScheduleCharging Charging);

    /// <summary>
    /// The checks of a schedule request that need storage or the firm's settings: the payment method is the payer's,
    /// the bank account the firm's, amounts fit the firm's currency and the first run date is from today (at the firm)
    /// to a year from today. The request's own rules were checked by its validator.
    /// </summary>
    private async Task<ScheduleFields?> ReadAsync(string firmId, string payerId, FirmSettings firm, IScheduleRequest body, FieldErrors errors, CancellationToken ct, Schedule? existing = null)
    {
        long? capMinor = null;
        if (body.AmountRule is { Kind: AmountRuleKind.UpTo, Cap: { } cap })
        {
            if (AmountRule.TryUpTo(cap, firm.Currency, out var upTo, out var error))
            {
                capMinor = upTo.Cap.Minor;
            }
            else
            {
                errors.Add("amountRule.cap", error);
            }
        }

        long? maxRunAmountMinor = null;
        if (body.MaxRunAmount is { } max)
        {
            if (!Currencies.TryToMinor(max, firm.Currency, out var minor) || minor <= 0)
            {
                errors.Add("maxRunAmount", $"Must be more than zero with at most {Currencies.Exponent(firm.Currency)} decimals.");
            }
            else
            {
                maxRunAmountMinor = minor;
            }
        }

        var method = Ids.IsWellFormed(body.PaymentMethodId)
            ? await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(payerId, body.PaymentMethodId), ct)
            : null;
        if (method is null)
        {
            errors.Add("paymentMethodId", "Is not one of this payer's saved payment methods.");
        }

        var deposit = Ids.IsWellFormed(body.BankAccountId) ? await store.GetAsync<BankAccount>(firmId, body.BankAccountId, ct) : null;
        if (deposit is null)
        {
            errors.Add("bankAccountId", "Is not one of the firm's bank accounts.");
        }

        var today = firm.TodayAt(clock.GetCurrentInstant());
        if (body.FirstRunDate < today && body.FirstRunDate != existing?.FirstRunDate)
        {
            errors.Add("firstRunDate", $"Must be today ({today:yyyy-MM-dd} at the firm) or later.");
        }

        if (body.FirstRunDate > today.PlusYears(1))
        {
            errors.Add("firstRunDate", "Must be within a year from today.");
        }

        return errors.Any
            ? null
            : new ScheduleFields(body.PaymentMethodId, body.Name, body.BankAccountId, string.IsNullOrEmpty(body.ArMessage) ? null : body.ArMessage, body.Frequency.ToFrequency(),
                body.FirstRunDate, body.AmountRule.Kind, capMinor, maxRunAmountMinor, ScheduleCharging.Of(method!.Value, deposit!.Value));
    }
}
