using Microsoft.Extensions.Logging;
using PayConnect.Authorizations;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>
/// What follows a posted run for its payer and its records (called by <see cref="RunFollowUp"/>): the receipt
/// (<see cref="NotificationTypes.PaymentReceipt"/>: the amount, the invoices paid and what remains outstanding, read as
/// the next run would see it), the run in the firm's daily digest, and the authorization records' retention moved to two
/// years past this payment. Each part is idempotent: the run marks itself notified only after all of them.
/// </summary>
public sealed class PaymentReceipts(
    IRecordStore store,
    RunPreview preview,
    NotificationOutbox outbox,
    NotificationLinks links,
    RunDigest digest,
    ScheduleAuthorizations authorizations,
    FirmSettingsCache firms,
    ILogger<PaymentReceipts> logger)
{
    public async Task PostedAsync(string firmId, RunRecord run, Schedule? schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var firm = await firms.GetAsync(firmId, cancellationToken).ConfigureAwait(false);
        schedule ??= (await store.GetAsync<Schedule>(firmId, run.ScheduleId, cancellationToken).ConfigureAwait(false))?.Value;
        var payerId = run.Snapshot?.PayerId ?? schedule?.PayerId;
        var payer = payerId is null ? null : (await store.GetAsync<Payer>(firmId, payerId, cancellationToken).ConfigureAwait(false))?.Value;
        await digest.RecordAsync(firmId, firm, run, schedule?.Name, payer?.Name, cancellationToken).ConfigureAwait(false);
        if (firm is not null)
        {
            await authorizations.RecordPaymentAsync(firmId, run.ScheduleId, firm.TodayAt(run.UpdatedAt), cancellationToken).ConfigureAwait(false);
        }

        if (firm is null || schedule is null || payer?.Contacts is not { } contacts || !contacts.Receive(NotificationTypes.PaymentReceipt))
        {
            return;
        }

        var currency = run.Currency ?? schedule.Currency;
        RunPreviewResult? after = null;
        try
        {
            // After the charge: its captured holds count until the MMS shows them, so this is what is still owed.
            after = await preview.PreviewAsync(firmId, schedule, run.RunDate, cancellationToken).ConfigureAwait(false);
        }
        catch (MmsUnavailableException ex)
        {
            logger.LogWarning("Run {RunKey}: the receipt leaves out what remains outstanding: the MMS could not be reached: {Reason}", run.RunKey, ex.Message);
        }

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
            ["outstanding_total"] = after is null ? null : EmailTemplates.Amount(after.AvailableMinor, currency),
            ["outstanding"] = (after?.Available ?? []).Select(l => new Dictionary<string, object?>
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
    }
}
