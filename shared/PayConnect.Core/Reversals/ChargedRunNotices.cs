using System.Globalization;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Notifications;
using PayConnect.Payments;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Reversals;

/// <summary>
/// The notices a charged run owes staff: its receipt once posted (staff subscribed to PaymentReceipt; the payer's own
/// receipt is <see cref="Notifications.PayerNotices.PaymentReceipts"/>), PaymentDisputed when its charge is disputed, PaymentReturned for each returned ACH debit.
/// Each is put in the outbox once (one email per source, type and subscriber) and remembered on the run, so a redelivered
/// event or message sends nothing twice.
/// </summary>
public sealed class ChargedRunNotices(IRecordStore store, RunLedger ledger, NotificationOutbox outbox, FirmSettingsCache firms, IClock clock, OutboxOptions options, NotificationLinks? links = null, SubscriptionCache? subscriptions = null)
{
    /// <summary>The notices <paramref name="run"/> owes and has not sent: (marker on the run, type, outbox source key).</summary>
    /// <param name="run">The run.</param>
    /// <param name="receipt">
    /// Whether its receipt counts: only the run's own follow-up sends it, right after the charge; a gateway event weeks
    /// later never sends a receipt for an old charge to someone who subscribed since.
    /// </param>
    public static IReadOnlyList<(string Marker, string Type, string SourceKey)> Owed(RunRecord run, bool receipt = true)
    {
        var owed = new List<(string, string, string)>();
        if (receipt && run.State == RunState.Posted && run.ChargeId is not null)
        {
            owed.Add(Marker(run, NotificationTypes.PaymentReceipt, run.Presentment.ToString(CultureInfo.InvariantCulture)));
        }

        if (run.Dispute is { } dispute)
        {
            owed.Add(Marker(run, NotificationTypes.PaymentDisputed, dispute.DisputeId));
        }

        foreach (var returned in run.Returns)
        {
            owed.Add(Marker(run, NotificationTypes.PaymentReturned, returned.Presentment.ToString(CultureInfo.InvariantCulture)));
        }

        return owed.Where(o => !run.Notified.Contains(o.Item1)).ToList();

        static (string, string, string) Marker(RunRecord r, string type, string what) => (type + ":" + what, type, r.RunKey + "#" + type + "-" + what);
    }

    /// <summary>
    /// Enqueues the dispute and return notices the run owes after a gateway event and remembers them on the run
    /// (ETag-checked; a run changed meanwhile is read again).
    /// </summary>
    public async Task<Stored<RunRecord>> SendOwedAsync(string firmId, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        for (var round = 0; round < 8; round++)
        {
            var owed = Owed(run.Value, receipt: false);
            if (owed.Count == 0)
            {
                return run;
            }

            await EnqueueAsync(firmId, run.Value, owed, null, null, cancellationToken).ConfigureAwait(false);

            var marked = owed.Aggregate(run.Value, (r, o) => r.MarkNotified(o.Marker, clock.GetCurrentInstant()));
            try
            {
                var etags = await ledger.CommitAsync(firmId, [RecordWrite.Replace(marked, run.ETag)], cancellationToken).ConfigureAwait(false);
                return new Stored<RunRecord>(marked, etags[0]!);
            }
            catch (ConcurrencyException)
            {
                // Moved meanwhile (an event, the processor): enqueueing again is harmless; mark on the new version.
                run = await ledger.RunAsync(firmId, run.Value.ScheduleId, run.Value.RunDate, cancellationToken).ConfigureAwait(false) ?? run;
            }
        }

        return run;
    }

    /// <summary>
    /// Enqueues <paramref name="owed"/> (from <see cref="Owed"/>) to the staff subscribed to each type; reads what the
    /// emails show only when someone receives one. True when anything was enqueued.
    /// </summary>
    /// <param name="firmId">The firm.</param>
    /// <param name="run">The run.</param>
    /// <param name="owed">What it owes.</param>
    /// <param name="schedule">The schedule when the caller read it already.</param>
    /// <param name="payer">The payer when the caller read it already.</param>
    /// <param name="cancellationToken">Cancels the work; enqueueing again is harmless.</param>
    public async Task<bool> EnqueueAsync(string firmId, RunRecord run, IReadOnlyList<(string Marker, string Type, string SourceKey)> owed, Schedule? schedule, Payer? payer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(owed);
        var wanted = new List<(string Type, string Source)>();
        foreach (var (_, type, source) in owed)
        {
            if (subscriptions is null || await subscriptions.AnyAsync(firmId, type, cancellationToken).ConfigureAwait(false))
            {
                wanted.Add((type, source));
            }
        }

        if (wanted.Count == 0)
        {
            return false;
        }

        var details = await DetailsAsync(firmId, run, schedule, payer, cancellationToken).ConfigureAwait(false);
        foreach (var (type, source) in wanted)
        {
            await EnqueueOneAsync(firmId, run, details, type, source, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private async Task EnqueueOneAsync(string firmId, RunRecord run, ChargedRunDetails d, string type, string source, CancellationToken cancellationToken)
    {
        var portal = options.PortalBaseUrl;
        switch (type)
        {
            case NotificationTypes.PaymentReceipt:
                // Staff subscribers' copy. The payer's own receipt (at the payer's contact addresses, with what remains
                // outstanding and an unsubscribe link) is PaymentReceipts' (docs/decisions/0040), never sent from here too.
                await outbox.EnqueueAsync(firmId, type, source, (id, to) => MoneyAfterChargeEmails.Receipt(id, [to], d, portal, links?.ForStaff(firmId, to.Address, type)), cancellationToken).ConfigureAwait(false);

                break;
            case NotificationTypes.PaymentDisputed:
                var dispute = run.Dispute!;
                await outbox.EnqueueAsync(firmId, type, source,
                    (id, to) => MoneyAfterChargeEmails.Disputed(id, [to], d, new Money(dispute.AmountMinor, run.Currency!), dispute.Reason, portal, links?.ForStaff(firmId, to.Address, type)), cancellationToken).ConfigureAwait(false);
                break;
            case NotificationTypes.PaymentReturned:
                var presentment = int.Parse(source[(source.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
                var returned = run.Returns.Last(r => r.Presentment == presentment);
                var decision = returned.Decision ?? (returned.RepresentOn is { } on ? $"Presented again on {on:uuuu-MM-dd}." : "Not presented again.");
                await outbox.EnqueueAsync(firmId, type, source,
                    (id, to) => MoneyAfterChargeEmails.Returned(id, [to], d with { Charged = new Money(returned.AmountMinor, run.Currency!) }, returned.Code, returned.Description, decision, portal, links?.ForStaff(firmId, to.Address, type)),
                    cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task<ChargedRunDetails> DetailsAsync(string firmId, RunRecord run, Schedule? schedule, Payer? payer, CancellationToken cancellationToken)
    {
        var settings = await firms.GetAsync(firmId, cancellationToken).ConfigureAwait(false);
        schedule ??= (await store.GetAsync<Schedule>(firmId, run.ScheduleId, cancellationToken).ConfigureAwait(false))?.Value;
        var payerId = run.Snapshot?.PayerId ?? schedule?.PayerId;
        payer ??= payerId is null ? null : (await store.GetAsync<Payer>(firmId, payerId, cancellationToken).ConfigureAwait(false))?.Value;
        var method = payerId is null || run.Snapshot is null
            ? null
            : await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(payerId, run.Snapshot.PaymentMethodId), cancellationToken).ConfigureAwait(false);
        var currency = run.Currency ?? settings?.Currency ?? "USD";
        var label = method?.Value is { } m
            ? (m.Last4 is { Length: 4 } last4 && last4.All(char.IsAsciiDigit) ? $"{m.DisplayName} ending in {last4}" : m.DisplayName)
            : null;
        var details = new ChargedRunDetails
        {
            FirmName = string.IsNullOrWhiteSpace(settings?.Name) ? firmId : settings.Name,
            PayerName = payer?.Name ?? payerId ?? "(unknown payer)",
            ScheduleId = run.ScheduleId,
            ScheduleName = schedule?.Name ?? run.ScheduleId,
            RunDate = run.RunDate,
            Charged = new Money(run.AmountMinor ?? 0, currency),
            Surcharge = run.SurchargeMinor > 0 ? new Money(run.SurchargeMinor, currency) : null,
            Invoices = run.Lines.Select(l => (l.InvoiceNumber, new Money(l.AmountMinor, currency))).ToList(),
            PaymentMethod = label,
        };
        return details;
    }
}
