using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Observability;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>What the gate decided about a run that is about to allocate.</summary>
public abstract record NoticeGateDecision
{
    private NoticeGateDecision()
    {
    }

    /// <summary>No notice is owed, or it went out early enough: allocate.</summary>
    public sealed record Proceed : NoticeGateDecision;

    /// <summary>The run may not charge yet: it was parked and comes back at <c>Until</c>.</summary>
    public sealed record Held(Instant Until, string Why) : NoticeGateDecision;

    /// <summary>The notice can never reach the payer (every address refused it): the run fails, staff are told.</summary>
    public sealed record Undeliverable(string Why) : NoticeGateDecision;
}

/// <summary>
/// Keeps a run from charging earlier than its notice allows: a payer who receives pre-charge notices is charged no
/// sooner than the notice's lead after the day the notice was actually sent. A run whose notice was never sent (the
/// sweep was down, the schedule was created inside the lead) sends it now and is parked in the retry index until the
/// lead has passed; one whose notice waits in the outbox (the email service is down) is looked at again in an hour.
/// </summary>
public sealed class PreChargeGate(
    IRecordStore store,
    PreChargeNotices notices,
    RunPreview preview,
    NotificationOutbox outbox,
    RunRetries retries,
    IClock clock,
    ILogger<PreChargeGate> logger)
{
    /// <summary>How long a run whose notice is still in the outbox waits before it looks again.</summary>
    public static readonly Duration RecheckAfter = Duration.FromHours(1);

    /// <param name="firm">The firm's settings.</param>
    /// <param name="schedule">The run's schedule as it is now.</param>
    /// <param name="payer">The schedule's payer as this delivery read it (null when it does not exist).</param>
    /// <param name="key">The run.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<NoticeGateDecision> CheckAsync(FirmSettings? firm, Schedule schedule, Payer? payer, RunKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (firm is null)
        {
            return new NoticeGateDecision.Proceed();
        }

        if (payer?.Contacts?.Receive(NotificationTypes.PreChargeNotice) != true)
        {
            return new NoticeGateDecision.Proceed();
        }

        var now = clock.GetCurrentInstant();
        var zone = firm.Zone();
        var today = FirmClock.TodayIn(zone, now);
        var record = (await store.GetAsync<RunNoticeRecord>(key.FirmId, RunNoticeRecord.KeyOf(schedule.Id, key.RunDate), cancellationToken).ConfigureAwait(false))?.Value;
        if (record is null)
        {
            RunPreviewResult expected;
            try
            {
                expected = await preview.PreviewAsync(key.FirmId, schedule, key.RunDate, cancellationToken).ConfigureAwait(false);
            }
            catch (MmsUnavailableException)
            {
                return await HoldAsync(key, now + Duration.FromMinutes(15), "Its notice could not be composed: the MMS could not be reached.", cancellationToken).ConfigureAwait(false);
            }

            var lead = NoticeLead.Days(firm.NoticeDays(), PreChargeNotices.KindOf(schedule), schedule.Authorization?.Terms.Range, expected.AmountMinor);
            record = await notices.SendAsync(firm, schedule, payer, key.RunDate, today, lead, expected, cancellationToken).ConfigureAwait(false);
            return await HoldAsync(key, Start(today.PlusDays(record.LeadDays), zone), $"Its pre-charge notice was not sent before; it went out today and the run charges {record.LeadDays} days later.", cancellationToken).ConfigureAwait(false);
        }

        Instant? sentAt = null;
        var refused = 0;
        foreach (var address in record.Emails)
        {
            var email = (await outbox.FindAsync(key.FirmId, NotificationTypes.PreChargeNotice, key.Format(), address, cancellationToken).ConfigureAwait(false))?.Value;
            if (email is { State: OutboxState.Sent, SentAt: { } at })
            {
                sentAt = sentAt is null || at < sentAt ? at : sentAt;
            }
            else if (email is null or { State: OutboxState.Rejected })
            {
                refused++;
            }
        }

        if (sentAt is { } sent)
        {
            var notBefore = FirmClock.TodayIn(zone, sent).PlusDays(record.LeadDays);
            return today >= notBefore
                ? new NoticeGateDecision.Proceed()
                : await HoldAsync(key, Start(notBefore, zone), $"Its pre-charge notice was sent on {EmailTemplates.IsoDateOf(FirmClock.TodayIn(zone, sent))}; the run may charge from {EmailTemplates.IsoDateOf(notBefore)}.", cancellationToken).ConfigureAwait(false);
        }

        if (refused == record.Emails.Count)
        {
            return new NoticeGateDecision.Undeliverable("The payer's pre-charge notice could not be delivered to any of their addresses; correct the payer's contact addresses and set the run up again.");
        }

        return await HoldAsync(key, now + RecheckAfter, "Its pre-charge notice is still waiting in the outbox.", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// True when the run of <paramref name="runDate"/> is being held back by its notice (its notice went out and its lead
    /// has not passed): it is parked, so a later run of the schedule need not wait for it.
    /// </summary>
    public async Task<bool> HoldsBackAsync(FirmSettings? firm, string scheduleId, LocalDate runDate, CancellationToken cancellationToken)
    {
        if (firm is null)
        {
            return false;
        }

        var record = (await store.GetAsync<RunNoticeRecord>(firm.FirmId, RunNoticeRecord.KeyOf(scheduleId, runDate), cancellationToken).ConfigureAwait(false))?.Value;
        return record is not null && FirmClock.TodayIn(firm.Zone(), clock.GetCurrentInstant()) < record.NoticedOn.PlusDays(record.LeadDays);
    }

    private async Task<NoticeGateDecision> HoldAsync(RunKey key, Instant until, string why, CancellationToken cancellationToken)
    {
        await retries.ScheduleAsync(new RunRetryEntry(key.FirmId, key.Format(), 0, until), cancellationToken).ConfigureAwait(false);
        Telemetry.RetriedLater("notice_pending");
        logger.LogInformation("Run {RunKey} held until {Until}: {Why}", key.Format(), until, why);
        return new NoticeGateDecision.Held(until, why);
    }

    private static Instant Start(LocalDate date, DateTimeZone zone) => date.AtStartOfDayInZone(zone).ToInstant();
}
