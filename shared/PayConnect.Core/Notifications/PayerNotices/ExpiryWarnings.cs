using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>
/// Expiry warnings (<see cref="NotificationTypes.ScheduleExpiring"/>): 30 days before a one-year lifetime ends, the staff
/// subscribed to the type and the payer (if they receive it) are told once per lifetime end; re-authorizing moves the
/// end, and the new end gets its own warning in its time.
/// </summary>
public sealed class ExpiryWarnings(IRecordStore store, NotificationOutbox outbox, NotificationLinks links, OutboxOptions outboxOptions, IClock clock, ILogger<ExpiryWarnings> logger)
{
    public const int DaysAhead = 30;

    /// <summary>Sends the warning when its day has come; true when this call sent it.</summary>
    public async Task<bool> WarnIfDueAsync(FirmSettings firm, Schedule schedule, Payer? payer, LocalDate today, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(firm);
        ArgumentNullException.ThrowIfNull(schedule);
        var timeline = schedule.Timeline();
        if (timeline.LifetimeEnd is not { } end || today < end.PlusDays(-DaysAhead) || today >= end
            || await store.GetAsync<ExpiryWarningRecord>(firm.FirmId, ExpiryWarningRecord.KeyOf(schedule.Id, end), cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        var last = timeline.Upcoming(400, today).LastOrDefault();
        var model = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["firm_name"] = firm.Name,
            ["payer_name"] = payer?.Name ?? schedule.PayerId,
            ["schedule_name"] = schedule.Name,
            ["ends_on"] = EmailTemplates.Date(end),
            ["ends_on_iso"] = EmailTemplates.IsoDateOf(end),
            ["last_run"] = last == default ? null : EmailTemplates.Date(last),
            ["link"] = SchedulePage(outboxOptions.PortalBaseUrl, schedule.Id).AbsoluteUri,
        };
        var source = schedule.Id + "~" + EmailTemplates.IsoDateOf(end);
        await outbox.EnqueueAsync(firm.FirmId, NotificationTypes.ScheduleExpiring, source, (id, to) =>
        {
            var email = EmailTemplates.Render("schedule-expiring", new Dictionary<string, object?>(model, StringComparer.Ordinal)
            {
                ["for_payer"] = null,
                ["unsubscribe_url"] = links.ForStaff(firm.FirmId, to.Address, NotificationTypes.ScheduleExpiring).AbsoluteUri,
                ["unsubscribe_reason"] = "You receive this because you subscribed to authorization ending emails.",
            });
            return new EmailMessage(id, [to], email.Subject, email.PlainText, email.Html);
        }, cancellationToken).ConfigureAwait(false);
        if (payer?.Contacts is { } contacts && contacts.Receive(NotificationTypes.ScheduleExpiring))
        {
            var payerModel = new Dictionary<string, object?>(model, StringComparer.Ordinal) { ["for_payer"] = "yes" };
            await outbox.EnqueueToAsync(firm.FirmId, NotificationTypes.ScheduleExpiring, source, contacts.Emails.Select(e => (e, (string?)payer.Name)).ToList(),
                (id, to) => PayerEmail.Compose(id, to, "schedule-expiring", payerModel, links.ForPayer(firm.FirmId, payer.Id, NotificationTypes.ScheduleExpiring), NotificationTypes.ScheduleExpiring),
                cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await store.InsertAsync(firm.FirmId, new ExpiryWarningRecord(schedule.Id, end, clock.GetCurrentInstant()), cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException ex) when (ex.AlreadyExists)
        {
        }

        logger.LogInformation("Schedule {ScheduleId} of firm {FirmId}: expiry warning enqueued (authorization ends {EndsOn})", schedule.Id, firm.FirmId, end);
        return true;
    }

    /// <summary>The portal page of a schedule: <c>{base}/autopay/schedules/{scheduleId}</c>.</summary>
    public static Uri SchedulePage(Uri portalBaseUrl, string scheduleId)
    {
        ArgumentNullException.ThrowIfNull(portalBaseUrl);
        return new Uri($"{portalBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/')}/autopay/schedules/{Uri.EscapeDataString(scheduleId)}");
    }
}
