using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Authorizations;

/// <summary>A schedule's authorization records: list them, renew the authorization, record the payer's revocation.</summary>
public sealed class AuthorizationHandlers(IRecordStore store, ScheduleAuthorizations authorizations, DueIndex dueIndex, IClock clock)
{
    /// <summary>Every version, the revocation and the retention; answers for a deleted schedule too, from the kept records.</summary>
    public async Task<ApiResult> ListAsync(string firmId, string scheduleId, CancellationToken ct)
    {
        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (schedule?.Value.Authorization is not null)
        {
            // A version whose copy a crash interrupted is copied now.
            await authorizations.KeepAsync(firmId, schedule.Value, ct);
        }

        var versions = new List<AuthorizationVersion>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<AuthorizationVersion>(firmId, AuthorizationVersion.PrefixOf(scheduleId), 200, continuation, null, ct);
            versions.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        if (versions.Count == 0)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        var revocation = (await store.GetAsync<AuthorizationRevocation>(firmId, AuthorizationRevocation.KeyOf(scheduleId), ct))?.Value;
        var retention = await authorizations.RetentionAsync(firmId, scheduleId, ct);
        var current = schedule?.Value.Authorization?.Version ?? versions[^1].Version;
        var latest = versions[^1];
        return new ApiResult.Ok(new ScheduleAuthorizationsResponse(
            scheduleId,
            latest.PayerId,
            latest.PayerName,
            schedule is not null,
            current,
            schedule?.Value.Timeline().LifetimeEnd ?? latest.Terms.AuthorizedUntil,
            versions.Select(v => AuthorizationVersionResponse.From(v, v.Version == current && revocation is null)).ToList(),
            revocation is null ? null : new AuthorizationRevocationResponse(revocation.Version, revocation.RecordedBy, revocation.PayersWord, revocation.RevokedAt),
            retention?.LastPaymentOn,
            retention?.RetainUntil));
    }

    /// <summary>
    /// Records a new version with the payer's renewal and, for a one-year lifetime, moves its end to a year from the next
    /// run (the first occurrence not yet sent, on or after today).
    /// </summary>
    public async Task<ApiResult> ReauthorizeAsync(string firmId, string scheduleId, ReauthorizeRequest request, string by, string? ifMatch, CancellationToken ct)
    {
        var stored = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        if (stored is null || firm is null)
        {
            return ApiResult.NotFoundOf("Schedule", scheduleId);
        }

        AmountRange? range = null;
        if (request.AmountRange is { } r)
        {
            if (!Currencies.TryToMinor(r.Min, stored.Value.Currency, out var min) || !Currencies.TryToMinor(r.Max, stored.Value.Currency, out var max))
            {
                return new ApiResult.Invalid(FieldErrors.One("amountRange", $"Amounts have at most {Currencies.Exponent(stored.Value.Currency)} decimals in {stored.Value.Currency}."));
            }

            range = new AmountRange(min, max);
        }

        var s = stored.Value;
        if (s.State == ScheduleState.Ended)
        {
            return new ApiResult.Conflict("An ended schedule cannot be re-authorized; set up a new Auto-Pay.");
        }

        var today = firm.Value.TodayAt(clock.GetCurrentInstant());
        var renewed = s;
        if (s.Lifetime == ScheduleLifetime.OneYear)
        {
            if (NextRun(s, today) is not { } next)
            {
                return new ApiResult.Conflict("The schedule has no run left to authorize.");
            }

            renewed = (s with { AuthorizedUntil = next.PlusYears(1), UpdatedAt = clock.GetCurrentInstant() }).WithNextRun();
        }

        renewed = await authorizations.AttachAsync(firmId, s, renewed, new CaptureInput(request.Method, request.Reference, range), by, ct,
            reason: renewed.AuthorizedUntil is { } until && s.Lifetime == ScheduleLifetime.OneYear ? $"Renewed until {Notifications.EmailTemplates.IsoDateOf(until)}." : "Renewed.");
        try
        {
            // Through the due index, which keeps the schedule's next run indexed whatever write fails.
            await dueIndex.SaveAsync(firmId, stored, renewed, ifMatch ?? stored.ETag, firm.Value.TimeZone, ct);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }

        await authorizations.KeepAsync(firmId, renewed, ct);
        return await ListAsync(firmId, scheduleId, ct);
    }

    /// <summary>The payer withdrew the authorization: the schedule ends at once (runs not yet charging are skipped) and the revocation is recorded.</summary>
    public async Task<ApiResult> RevokeAsync(string firmId, string scheduleId, RevokeAuthorizationRequest request, string by, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var stored = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
            if (stored is null)
            {
                return ApiResult.NotFoundOf("Schedule", scheduleId);
            }

            var s = stored.Value;
            var now = clock.GetCurrentInstant();
            if (s.State != ScheduleState.Ended)
            {
                // Money first: the schedule stops before anything is recorded about why.
                var ended = s with { State = ScheduleState.Ended, EndReason = ScheduleEndReason.Staff, StateChangedBy = by, StateChangedAt = now, UpdatedAt = now, NextRunDate = null };
                var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
                try
                {
                    await dueIndex.SaveAsync(firmId, stored, ended, stored.ETag, firm?.Value.TimeZone ?? "UTC", ct);
                }
                catch (ConcurrencyException)
                {
                    continue;
                }
            }
            else if (await store.GetAsync<AuthorizationRevocation>(firmId, AuthorizationRevocation.KeyOf(scheduleId), ct) is null && s.EndReason is not (null or ScheduleEndReason.Staff))
            {
                return new ApiResult.Conflict($"The schedule already ended ({s.EndReason}); there is nothing left to revoke.");
            }

            await authorizations.KeepAsync(firmId, s, ct);
            try
            {
                await store.InsertAsync(firmId, new AuthorizationRevocation(scheduleId, s.PayerId, s.Authorization?.Version ?? 0, by, request.PayersWord, now), ct);
            }
            catch (ConcurrencyException ex) when (ex.AlreadyExists)
            {
                // Recorded already: the first revocation stands.
            }

            return await ListAsync(firmId, scheduleId, ct);
        }

        return ApiResult.StaleETag();
    }

    /// <summary>The schedule's next run to authorize: the first occurrence after what was sent, on or after today, ignoring the current lifetime's end.</summary>
    public static LocalDate? NextRun(Schedule schedule, LocalDate today)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (!Frequency.TryParse(schedule.Frequency, out var frequency))
        {
            return null;
        }

        var from = schedule.LastScheduledRunDate is { } sent && sent >= today ? sent.PlusDays(1) : today;
        if (schedule.ResumedOn is { } resumed && resumed > from)
        {
            from = resumed;
        }

        foreach (var date in Recurrence.OccurrencesFrom(frequency, schedule.FirstRunDate, from))
        {
            return date;
        }

        return null;
    }
}
