using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Authorizations;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>How many days ahead of a run its payer must be told (the firm's days; NACHA's 10 for a variable bank debit).</summary>
public static class NoticeLead
{
    /// <summary>NACHA: a variable-amount recurring debit needs notice at least 10 calendar days ahead.</summary>
    public const int VariableAchDays = 10;

    /// <summary>
    /// The lead for one run. Every Auto-Pay debit varies with what is owed, so a bank (ACH) debit takes at least
    /// <see cref="VariableAchDays"/> unless the payer authorized a range that <paramref name="expectedMinor"/> falls within.
    /// </summary>
    public static int Days(int firmDays, PaymentMethodKind kind, AmountRange? range, long expectedMinor) =>
        kind == PaymentMethodKind.Ach && range?.Contains(expectedMinor) != true ? Math.Max(firmDays, VariableAchDays) : firmDays;

    /// <summary>The longest lead any run of a firm can need.</summary>
    public static int MaxDays(int firmDays) => Math.Max(firmDays, VariableAchDays);
}

/// <summary>
/// The record that a run's pre-charge notice went out: when (the firm's date), how far ahead it had to be, what it said
/// and to whom. Written after the emails are in the outbox; the gate reads it and the outbox rows to know when the
/// notice was actually sent.
/// </summary>
public sealed record RunNoticeRecord(
    string ScheduleId,
    LocalDate RunDate,
    string PayerId,
    int LeadDays,
    long ExpectedMinor,
    string Currency,
    IReadOnlyList<string> Emails,
    LocalDate NoticedOn,
    Instant CreatedAt) : IFirmRecord
{
    public static string Table => PayerNoticeTable.Name;

    public string Key => KeyOf(ScheduleId, RunDate);

    public static string KeyOf(string scheduleId, LocalDate runDate) => "N~" + scheduleId + "~" + EmailTemplates.IsoDateOf(runDate);

    public string RunKey(string firmId) => new RunKey(firmId, ScheduleId, RunDate).Format();
}

/// <summary>Marks that a schedule's expiry warning for one lifetime end went out (so the sweep does not compose it again).</summary>
public sealed record ExpiryWarningRecord(string ScheduleId, LocalDate EndsOn, Instant CreatedAt) : IFirmRecord
{
    public static string Table => PayerNoticeTable.Name;

    public string Key => KeyOf(ScheduleId, EndsOn);

    public static string KeyOf(string scheduleId, LocalDate endsOn) => "E~" + scheduleId + "~" + EmailTemplates.IsoDateOf(endsOn);
}

public static class PayerNoticeTable
{
    public const string Name = "PayerNotices";
}

/// <summary>What one sweep did.</summary>
public sealed record NoticeSweepResult(int EntriesRead, int NoticesSent, int ExpiryWarnings, int Failed);

/// <summary>
/// Pre-charge notices (<see cref="NotificationTypes.PreChargeNotice"/>): for every run due within its lead, the payer's
/// contact addresses get the date, the expected amount (the run previewed that day, <see cref="RunPreview"/>) and the
/// invoices, exactly once per run and address (the outbox's key). The sweep finds runs through the due index's date
/// partitions (<see cref="DueIndexWindow"/>), never by reading every schedule, and also sends the expiry warnings
/// (<see cref="ExpiryWarnings"/>) of the schedules it reads.
/// </summary>
public sealed class PreChargeNotices(
    IRecordStore store,
    DueIndexWindow window,
    RunPreview preview,
    NotificationOutbox outbox,
    NotificationLinks links,
    ExpiryWarnings expiry,
    FirmSettingsCache firms,
    IClock clock,
    ILogger<PreChargeNotices> logger)
{
    /// <summary>The sweep looks this far ahead (the longest notice lead, and the expiry warning's 30 days).</summary>
    public const int HorizonDays = 31;

    public async Task<NoticeSweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        int read = 0, sent = 0, warned = 0, failed = 0;
        await foreach (var entry in window.EntriesAsync(FirmClock.EarliestLocalDate(now), FirmClock.LatestLocalDate(now).PlusDays(HorizonDays), cancellationToken).ConfigureAwait(false))
        {
            read++;
            var firm = await firms.GetAsync(entry.FirmId, cancellationToken).ConfigureAwait(false);
            if (firm is null)
            {
                continue;
            }

            var today = firm.TodayAt(now);
            if (entry.RunDate > today.PlusDays(HorizonDays))
            {
                continue;
            }

            try
            {
                var schedule = await store.GetAsync<Schedule>(entry.FirmId, entry.ScheduleId, cancellationToken).ConfigureAwait(false);
                if (schedule?.Value is not { State: ScheduleState.Active } s)
                {
                    continue;
                }

                var payer = (await store.GetAsync<Payer>(entry.FirmId, s.PayerId, cancellationToken).ConfigureAwait(false))?.Value;
                warned += await expiry.WarnIfDueAsync(firm, s, payer, today, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                if (payer?.Contacts?.Receive(NotificationTypes.PreChargeNotice) != true)
                {
                    continue;
                }

                var horizon = today.PlusDays(NoticeLead.MaxDays(firm.NoticeDays()));
                foreach (var runDate in s.Timeline().Upcoming(64, today).TakeWhile(d => d <= horizon))
                {
                    sent += await SendIfDueAsync(firm, s, payer, runDate, today, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                }
            }
            catch (MmsUnavailableException ex)
            {
                // The next tick tries again; a run whose notice is late is held back by the gate, never charged early.
                failed++;
                logger.LogWarning("Pre-charge notices of schedule {ScheduleId} (firm {FirmId}) wait: the MMS could not be reached: {Reason}", entry.ScheduleId, entry.FirmId, ex.Message);
            }
        }

        return new NoticeSweepResult(read, sent, warned, failed);
    }

    /// <summary>Sends the run's notice when its lead has begun and it was not sent; true when this call sent it.</summary>
    public async Task<bool> SendIfDueAsync(FirmSettings firm, Schedule schedule, Payer payer, LocalDate runDate, LocalDate today, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(firm);
        ArgumentNullException.ThrowIfNull(schedule);
        var firmDays = firm.NoticeDays();
        if (today < runDate.PlusDays(-NoticeLead.MaxDays(firmDays))
            || await store.GetAsync<RunNoticeRecord>(firm.FirmId, RunNoticeRecord.KeyOf(schedule.Id, runDate), cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        var expected = await preview.PreviewAsync(firm.FirmId, schedule, runDate, cancellationToken).ConfigureAwait(false);
        var lead = NoticeLead.Days(firmDays, KindOf(schedule), schedule.Authorization?.Terms.Range, expected.AmountMinor);
        if (today < runDate.PlusDays(-lead))
        {
            return false;
        }

        await SendAsync(firm, schedule, payer, runDate, today, lead, expected, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Sends the run's notice now (idempotent per run and address) and records it.</summary>
    public async Task<RunNoticeRecord> SendAsync(FirmSettings firm, Schedule schedule, Payer payer, LocalDate runDate, LocalDate today, int lead, RunPreviewResult expected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(firm);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(payer);
        ArgumentNullException.ThrowIfNull(expected);
        var emails = payer.Contacts?.Emails ?? [];
        var runKey = new RunKey(firm.FirmId, schedule.Id, runDate).Format();
        var model = Model(firm, schedule, payer, runDate, expected);
        await outbox.EnqueueToAsync(firm.FirmId, NotificationTypes.PreChargeNotice, runKey, emails.Select(e => (e, (string?)payer.Name)).ToList(),
            (id, to) => PayerEmail.Compose(id, to, "pre-charge-notice", model, links.ForPayer(firm.FirmId, payer.Id, NotificationTypes.PreChargeNotice), NotificationTypes.PreChargeNotice),
            cancellationToken).ConfigureAwait(false);
        var record = new RunNoticeRecord(schedule.Id, runDate, payer.Id, lead, expected.AmountMinor, expected.Currency, emails, today, clock.GetCurrentInstant());
        try
        {
            await store.InsertAsync(firm.FirmId, record, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException ex) when (ex.AlreadyExists)
        {
            record = (await store.GetAsync<RunNoticeRecord>(firm.FirmId, record.Key, cancellationToken).ConfigureAwait(false))!.Value;
        }

        logger.LogInformation("Run {RunKey}: pre-charge notice of {AmountMinor} {Currency} enqueued {LeadDays} days ahead ({Recipients} addresses)",
            runKey, expected.AmountMinor, expected.Currency, lead, emails.Count);
        return record;
    }

    public static PaymentMethodKind KindOf(Schedule schedule) =>
        schedule.Charging?.PaymentMethodKind ?? schedule.Authorization?.Terms.PaymentMethodKind ?? PaymentMethodKind.Card;

    private static Dictionary<string, object?> Model(FirmSettings firm, Schedule schedule, Payer payer, LocalDate runDate, RunPreviewResult expected) => new(StringComparer.Ordinal)
    {
        ["firm_name"] = firm.Name,
        ["payer_name"] = payer.Name,
        ["schedule_name"] = schedule.Name,
        ["payment_method"] = schedule.Authorization?.Terms.PaymentMethod ?? "saved payment method",
        ["run_date"] = EmailTemplates.Date(runDate),
        ["run_date_iso"] = EmailTemplates.IsoDateOf(runDate),
        ["amount"] = EmailTemplates.Amount(expected.AmountMinor, expected.Currency),
        ["cap"] = schedule.AmountRule == AmountRuleKind.UpTo && schedule.CapMinor is { } cap ? EmailTemplates.Amount(cap, schedule.Currency) : null,
        ["invoices"] = expected.Lines.Select(l => new Dictionary<string, object?>
        {
            ["number"] = l.InvoiceNumber,
            ["matter"] = l.MatterNumber,
            ["amount"] = EmailTemplates.Amount(l.AmountMinor, expected.Currency),
        }).ToList(),
    };
}

/// <summary>Composes a payer-facing email from its template, with the payer's unsubscribe link for its type.</summary>
public static class PayerEmail
{
    public static EmailMessage Compose(string messageId, EmailAddress to, string template, IReadOnlyDictionary<string, object?> model, Uri unsubscribe, string type)
    {
        ArgumentNullException.ThrowIfNull(unsubscribe);
        var full = new Dictionary<string, object?>(model, StringComparer.Ordinal)
        {
            ["unsubscribe_url"] = unsubscribe.AbsoluteUri,
            ["unsubscribe_reason"] = $"You receive {UnsubscribeHandler.Words(type)} emails about your Auto-Pay with {model.GetValueOrDefault("firm_name")}.",
        };
        var email = EmailTemplates.Render(template, full);
        return new EmailMessage(messageId, [to], email.Subject, email.PlainText, email.Html);
    }
}
