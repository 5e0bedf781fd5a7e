using Microsoft.Extensions.Logging;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>
/// What follows a posted run for its payer and the firm's digest (called by <see cref="RunFollowUp"/>): the receipt
/// (<see cref="NotificationTypes.PaymentReceipt"/>: the amount, the invoices paid and what remains outstanding as the
/// run's allocation left it) when the payer receives receipts, and the run in the firm's daily digest when the firm has
/// a digest subscriber. Each part is idempotent: the run marks itself notified only after both. (The authorization
/// records' retention needs no write per payment: it is read from the schedule's charged runs, docs/decisions/0043.)
/// </summary>
public sealed class PaymentReceipts(
    IRecordStore store,
    RunPreview preview,
    NotificationOutbox outbox,
    NotificationLinks links,
    RunDigest digest,
    FirmSettingsCache firms,
    ILogger<PaymentReceipts> logger)
{
    /// <summary>The receipt and the digest line; true when either was written.</summary>
    /// <param name="firmId">The firm.</param>
    /// <param name="run">The posted run.</param>
    /// <param name="schedule">Its schedule as the caller read it (read here when null).</param>
    /// <param name="payer">Its payer as the caller read it (read here when null).</param>
    /// <param name="cancellationToken">Cancels the work; doing it again is harmless.</param>
    public async Task<bool> PostedAsync(string firmId, RunRecord run, Schedule? schedule, Payer? payer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var firm = await firms.GetAsync(firmId, cancellationToken).ConfigureAwait(false);
        schedule ??= (await store.GetAsync<Schedule>(firmId, run.ScheduleId, cancellationToken).ConfigureAwait(false))?.Value;
        var payerId = run.Snapshot?.PayerId ?? schedule?.PayerId;
        payer ??= payerId is null ? null : (await store.GetAsync<Payer>(firmId, payerId, cancellationToken).ConfigureAwait(false))?.Value;
        var wrote = await digest.RecordAsync(firmId, firm, run, schedule?.Name, payer?.Name, cancellationToken).ConfigureAwait(false);
        if (firm is null || schedule is null || payer?.Contacts is not { } contacts || !contacts.Receive(NotificationTypes.PaymentReceipt))
        {
            return wrote;
        }

        var currency = run.Currency ?? schedule.Currency;
        var after = await LeftOwingAsync(firmId, run, schedule, cancellationToken).ConfigureAwait(false);

        var model = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["firm_name"] = firm.Name,
            ["payer_name"] = payer.Name,
            ["schedule_name"] = schedule.Name,
            ["payment_method"] = schedule.Authorization?.Terms.PaymentMethod ?? "saved payment method",
            ["run_date"] = EmailTemplates.Date(run.RunDate),
            ["run_date_iso"] = EmailTemplates.IsoDateOf(run.RunDate),
            ["amount"] = EmailTemplates.Amount(run.AmountMinor ?? 0, currency),
            ["charge_id"] = run.ChargeId ?? run.RunKey,
            ["paid"] = run.Lines.Select(l => new Dictionary<string, object?>
            {
                ["number"] = l.InvoiceNumber,
                ["matter"] = l.MatterNumber,
                ["amount"] = EmailTemplates.Amount(l.AmountMinor, currency),
                ["remaining"] = EmailTemplates.Amount(Math.Max(0, l.AvailableMinor - l.AmountMinor), currency),
            }).ToList(),
            ["surcharge"] = run.SurchargeMinor > 0 ? EmailTemplates.Amount(run.SurchargeMinor, currency) : null,
            ["surcharge_rate"] = run.SurchargeMinor > 0 ? (run.SurchargeBasisPoints / 100m).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + " %" : null,
            ["outstanding_known"] = after is null ? null : "yes",
            ["outstanding_total"] = after is null ? null : EmailTemplates.Amount(after.TotalMinor, currency),
            ["outstanding"] = (after?.Invoices ?? []).Select(l => new Dictionary<string, object?>
            {
                ["number"] = l.InvoiceNumber,
                ["matter"] = l.MatterNumber,
                ["remaining"] = EmailTemplates.Amount(l.AvailableMinor, currency),
            }).ToList(),
        };
        await outbox.EnqueueToAsync(firmId, NotificationTypes.PaymentReceipt, run.RunKey, contacts.Emails.Select(e => (e, (string?)payer.Name)).ToList(),
            (id, to) => PayerEmail.Compose(id, to, "payment-receipt", model, links.ForPayer(firmId, payer.Id, NotificationTypes.PaymentReceipt), NotificationTypes.PaymentReceipt),
            cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Run {RunKey}: payment receipt enqueued ({Recipients} addresses)", run.RunKey, contacts.Emails.Count);
        return true;
    }

    /// <summary>
    /// What the run's scopes still owe after it: as its allocation left them, read with the same MMS read and holds (no
    /// second MMS call per receipt); for a run that waited for approval, or one allocated before runs kept it, read
    /// again now, as the next run would see it (its captured holds count until the MMS shows them).
    /// </summary>
    private async Task<RunLeftOwing?> LeftOwingAsync(string firmId, RunRecord run, Schedule schedule, CancellationToken cancellationToken)
    {
        if (run.LeftOwing is { } kept && run.Approval is null)
        {
            return kept;
        }

        try
        {
            var after = await preview.PreviewAsync(firmId, schedule, run.RunDate, cancellationToken).ConfigureAwait(false);
            return new RunLeftOwing(after.AvailableMinor, after.Available.Take(RunLeftOwing.MaxListed).Select(l => new RunOwing(l.InvoiceNumber, l.MatterNumber, l.AvailableMinor)).ToList());
        }
        catch (MmsUnavailableException ex)
        {
            logger.LogWarning("Run {RunKey}: the receipt leaves out what remains outstanding: the MMS could not be reached: {Reason}", run.RunKey, ex.Message);
            return null;
        }
    }
}
