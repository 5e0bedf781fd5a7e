using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using PayConnect.Connect;
using PayConnect.Notifications;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// What follows a run's move: the notification it owes (one Error-Failed AutoPay email per subscriber when it failed
/// for good, one AwaitingApproval email when it waits for approval), and, once it is final, the end of its schedule
/// when it was the last run (SPEC §1 Lifetime: a schedule becomes Ended only after its last run has finished).
/// </summary>
public sealed class RunFollowUp(
    IRecordStore store,
    RunLedger ledger,
    NotificationOutbox outbox,
    DueIndex dueIndex,
    FirmSettingsCache firms,
    IClock clock,
    OutboxOptions outboxOptions,
    Reversals.ChargedRunNotices notices,
    ILogger<RunFollowUp> logger,
    Notifications.PayerNotices.PaymentReceipts? receipts = null,
    Notifications.PayerNotices.RunDigest? digest = null,
    NotificationLinks? links = null)
{
    /// <summary>
    /// A posted run's receipts (once): the staff subscribers' copy, the payer's receipt and the digest line, each only
    /// when someone receives it, with the schedule and payer this delivery already read; one write remembers them on the
    /// run, and none is made when nobody receives anything. Then the end of its schedule if it was the last run.
    /// </summary>
    public async Task<RunStep> PostedAsync(RunContext context, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        var r = run.Value;
        var staff = Reversals.ChargedRunNotices.Owed(r);
        var payerReceipt = receipts is not null && !r.Notified.Contains(NotificationTypes.PaymentReceipt);
        if (staff.Count > 0 || payerReceipt)
        {
            var schedule = context.ScheduleRead ? context.Schedule : await store.GetAsync<Schedule>(context.FirmId, r.ScheduleId, cancellationToken).ConfigureAwait(false);
            context.Schedule = schedule;
            context.ScheduleRead = true;
            var payerId = r.Snapshot?.PayerId ?? schedule?.Value.PayerId;
            var payer = payerId is null ? null : await context.PayerAsync(store, payerId, cancellationToken).ConfigureAwait(false);
            var sent = staff.Count > 0 && await notices.EnqueueAsync(context.FirmId, r, staff, schedule?.Value, payer, cancellationToken).ConfigureAwait(false);
            if (payerReceipt)
            {
                sent |= await receipts!.PostedAsync(context.FirmId, r, schedule?.Value, payer, cancellationToken).ConfigureAwait(false);
            }

            if (sent)
            {
                // A redelivery finds them marked and enqueues nothing again (the outbox would refuse a second copy anyway).
                var now = clock.GetCurrentInstant();
                var marked = staff.Aggregate(r, (x, o) => x.MarkNotified(o.Marker, now));
                marked = payerReceipt ? marked.MarkNotified(NotificationTypes.PaymentReceipt, now) : marked;
                var etags = await ledger.CommitAsync(context.FirmId, [RecordWrite.Replace(marked, run.ETag)], cancellationToken).ConfigureAwait(false);
                run = new Stored<RunRecord>(marked, etags[0]!);
            }
        }

        return await CompleteScheduleAsync(context, run, cancellationToken).ConfigureAwait(false);
    }

    private static readonly LocalDateTimePattern When = LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd HH':'mm");

    /// <summary>Puts the run's notification in the outbox once (enqueueing is idempotent; the run remembers it did).</summary>
    public async Task<RunStep> NotifyAsync(RunContext context, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        var r = run.Value;
        var type = r.State == RunState.Failed ? NotificationTypes.ErrorFailedAutoPay : NotificationTypes.AwaitingApproval;
        if (r.Notified.Contains(type))
        {
            return r.IsFinal ? await CompleteScheduleAsync(context, run, cancellationToken).ConfigureAwait(false) : RunStep.Done;
        }

        var settings = await firms.GetAsync(context.FirmId, cancellationToken).ConfigureAwait(false);
        var zone = settings?.Zone() ?? DateTimeZone.Utc;
        var firmName = string.IsNullOrWhiteSpace(settings?.Name) ? context.FirmId : settings.Name;
        var schedule = context.ScheduleRead ? context.Schedule : await store.GetAsync<Schedule>(context.FirmId, r.ScheduleId, cancellationToken).ConfigureAwait(false);
        var payerId = r.Snapshot?.PayerId ?? schedule?.Value.PayerId;
        var payer = payerId is null ? null : await context.PayerAsync(store, payerId, cancellationToken).ConfigureAwait(false);
        var payerName = payer?.Name ?? payerId ?? "(unknown payer)";
        var scheduleName = schedule?.Value.Name ?? r.ScheduleId;

        if (type == NotificationTypes.AwaitingApproval)
        {
            var details = new AwaitingApprovalDetails
            {
                FirmName = firmName,
                PayerName = payerName,
                ScheduleId = r.ScheduleId,
                ScheduleName = scheduleName,
                RunDate = r.RunDate,
                Amount = new Money(r.AmountMinor ?? 0, r.Currency ?? settings?.Currency ?? "USD"),
                Why = r.Approval?.RequiredBecause ?? "The run is above its approval limit.",
                InvoiceCount = r.Lines.Count,
            };
            await outbox.EnqueueAsync(context.FirmId, type, context.RunKey,
                (id, to) => AwaitingApprovalEmail.Compose(id, [to], details, outboxOptions.PortalBaseUrl, links?.ForStaff(context.FirmId, to.Address, type)), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var methodId = r.Snapshot?.PaymentMethodId ?? schedule?.Value.PaymentMethodId;
            var method = payerId is null || methodId is null
                ? null
                : await store.GetAsync<PaymentMethod>(context.FirmId, PaymentMethod.KeyOf(payerId, methodId), cancellationToken).ConfigureAwait(false);
            var details = new FailedAutoPayDetails
            {
                FirmName = firmName,
                PayerName = payerName,
                ScheduleId = r.ScheduleId,
                ScheduleName = scheduleName,
                RunDate = r.RunDate,
                AmountAttempted = r.AmountMinor is { } minor && r.Currency is { } currency ? new Money(minor, currency) : null,
                Surcharge = r.SurchargeMinor > 0 && r.Currency is { } surchargeCurrency ? new Money(r.SurchargeMinor, surchargeCurrency) : null,
                FailureReason = r.FailureReason ?? "The run could not complete.",
                Attempts = r.Events.Where(e => e.What is "Declined" or "MmsUnavailable" or "Parked").Select(e => Describe(e, zone)).ToList(),
                PaymentMethodLabel = method?.Value.DisplayName,
                PaymentMethodLast4 = method?.Value.Last4 is { Length: 4 } last4 && last4.All(char.IsAsciiDigit) ? last4 : null,
            };
            await outbox.EnqueueAsync(context.FirmId, type, context.RunKey,
                (id, to) => FailedAutoPayEmail.Compose(id, [to], details, outboxOptions.PortalBaseUrl, links?.ForStaff(context.FirmId, to.Address, type)), cancellationToken).ConfigureAwait(false);
            if (digest is not null)
            {
                await digest.RecordAsync(context.FirmId, settings, r, scheduleName, payerName, cancellationToken).ConfigureAwait(false);
            }
        }

        var marked = r.MarkNotified(type, clock.GetCurrentInstant());
        var etags = await ledger.CommitAsync(context.FirmId, [RecordWrite.Replace(marked, run.ETag)], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Run {RunKey}: {NotificationType} notification enqueued", context.RunKey, type);
        return new RunStep.Next(new Stored<RunRecord>(marked, etags[0]!));
    }

    /// <summary>
    /// Ends the schedule once this final run leaves nothing to do: a payment plan the run paid off, or a schedule whose
    /// last occurrence this was, when no other run of it is still unfinished.
    /// </summary>
    public async Task<RunStep> CompleteScheduleAsync(RunContext context, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        var r = run.Value;
        for (var round = 0; round < 3; round++)
        {
            // The schedule as this delivery read it is enough to see that more runs are coming; an end is written
            // with its ETag, so a stale copy only costs a second read.
            var schedule = round == 0 && context.ScheduleRead
                ? context.Schedule
                : await store.GetAsync<Schedule>(context.FirmId, r.ScheduleId, cancellationToken).ConfigureAwait(false);
            context.Schedule = schedule;
            context.ScheduleRead = true;
            if (schedule is null || schedule.Value.State == ScheduleState.Ended || schedule.Value.Lifetime == ScheduleLifetime.NoEnrollments)
            {
                return RunStep.Done;
            }

            var s = schedule.Value;

            // A paused schedule is not ended by its runs: staff decide on it (resuming one whose lifetime has run out, or a
            // plan that is paid off, ends it with its next run).
            if (s.State != ScheduleState.Active)
            {
                return RunStep.Done;
            }

            ScheduleEndReason? reason = null;
            if (s.Lifetime == ScheduleLifetime.PaymentPlan && r.PaysOff && r.State is RunState.Posted or RunState.NothingDue)
            {
                // Paid off, but a schedule ends only after its last run has finished (SPEC §1): while another run of it is
                // unfinished (parked, awaiting a retry or approval, charging), that run decides when it finishes.
                var others = await ledger.RunsOfScheduleAsync(context.FirmId, s.Id, cancellationToken).ConfigureAwait(false);
                if (others.Any(other => other.Value.RunKey != r.RunKey && !other.Value.IsFinal))
                {
                    return RunStep.Done;
                }

                reason = ScheduleEndReason.PaidOff;
            }
            else
            {
                var cursor = s.LastScheduledRunDate is { } last && last > r.RunDate ? last : r.RunDate;
                if (!s.Timeline().MarkScheduled(cursor).IsFinished)
                {
                    return RunStep.Done;
                }

                var runs = await ledger.RunsOfScheduleAsync(context.FirmId, s.Id, cancellationToken).ConfigureAwait(false);
                if (runs.Any(other => other.Value.RunKey != r.RunKey && !other.Value.IsFinal))
                {
                    return RunStep.Done;
                }

                // The last run sent has no record until it begins (it waits for the run before it); runs begin in date
                // order, so once it has one, every run sent has. It ends the schedule itself when it finishes.
                if (s.LastSentRunDate is { } lastSent && lastSent > r.RunDate && runs.All(other => other.Value.RunDate != lastSent))
                {
                    return RunStep.Done;
                }

                reason = ScheduleEndReason.Completed;
            }

            try
            {
                var ended = s with { State = ScheduleState.Ended, EndReason = reason, NextRunDate = null, UpdatedAt = clock.GetCurrentInstant() };
                var zone = (await firms.GetAsync(context.FirmId, cancellationToken).ConfigureAwait(false))?.TimeZone ?? DateTimeZone.Utc.Id;
                await dueIndex.SaveAsync(context.FirmId, schedule, ended, schedule.ETag, zone, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Schedule {ScheduleId} of firm {FirmId} ended ({EndReason}) after run {RunKey}", s.Id, context.FirmId, reason, context.RunKey);
                return RunStep.Done;
            }
            catch (ConcurrencyException)
            {
                // The fan-out or staff changed it meanwhile: decide again on the new version.
            }
        }

        return RunStep.Done;
    }

    private static string Describe(RunEvent e, DateTimeZone zone)
    {
        var at = When.Format(e.At.InZone(zone).LocalDateTime) + " " + zone.Id;
        return e.What switch
        {
            "Declined" => $"{at}: attempt {e.Attempt} declined ({e.Code}): {e.Message}",
            "Parked" => $"{at}: attempt {e.Attempt}: {e.Message}",
            _ => $"{at}: {e.Message}",
        };
    }
}
