using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Payments;
using PayConnect.Postings;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Reversals;

/// <summary>What one event delivery did.</summary>
public enum GatewayEventOutcome
{
    /// <summary>The run changed (a refund, a dispute, a settlement or a return was recorded).</summary>
    Applied,

    /// <summary>Judged and recorded, nothing changed: an older state arriving late, or a state already known.</summary>
    Unchanged,

    /// <summary>This event was delivered before: nothing changed again.</summary>
    Duplicate,

    /// <summary>Not about a charge PayConnect made, or of a kind it does not act on.</summary>
    NotOurs,

    /// <summary>The run is still recording the charge: the gateway should deliver the event again later.</summary>
    RetryLater,
}

/// <summary>
/// Applies gateway events to runs (docs/money-after-the-charge.md): refunds, disputes, ACH settlements and returns.
/// Each event is judged against the run's stored state (a refund never goes back to pending, a dispute never reopens, a
/// settlement after a return is ignored), and everything it changes — the run, its reversal postings, the holds it
/// releases, the postings it settles and the event's receipt — commits in the firm's ledger partition in one
/// ETag-checked transaction; the receipt makes a second delivery change nothing. What follows (notices, the recovery of
/// a lost chargeback from the operating account) is done after the commit and again on any redelivery until done.
/// </summary>
public sealed class GatewayEventHandler(
    ChargeIndex charges,
    RunLedger ledger,
    IRecordStore store,
    MoneyBack moneyBack,
    ChargedRunNotices notices,
    IPaymentGateway gateway,
    DeclinePolicy declines,
    RunRetries retries,
    FirmSettingsCache firms,
    IClock clock,
    ILogger<GatewayEventHandler> logger)
{
    private const int MaxRounds = 8;

    public async Task<GatewayEventOutcome> HandleAsync(string gatewayName, GatewayEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        RunKey entry;
        try
        {
            if (await RunOfChargeAsync(e.ChargeId, cancellationToken).ConfigureAwait(false) is not { } found)
            {
                logger.LogInformation("Gateway event {EventId} ({EventType}) is about charge {ChargeId}, which PayConnect did not make", e.EventId, e.GetType().Name, e.ChargeId);
                return GatewayEventOutcome.NotOurs;
            }

            entry = found;
        }
        catch (GatewayUnavailableException ex)
        {
            logger.LogWarning("Gateway event {EventId}: the gateway could not say which run charge {ChargeId} belongs to: {Reason}", e.EventId, e.ChargeId, ex.Message);
            return GatewayEventOutcome.RetryLater;
        }

        var firmId = entry.FirmId;
        var receiptKey = GatewayEventReceipt.KeyOf(gatewayName, SafeId(e.EventId));
        for (var round = 0; round < MaxRounds; round++)
        {
            var stored = await ledger.RunAsync(firmId, entry.ScheduleId, entry.RunDate, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                logger.LogWarning("Gateway event {EventId}: the run of charge {ChargeId} ({FirmId}/{ScheduleId}/{RunDate}) does not exist", e.EventId, e.ChargeId, firmId, entry.ScheduleId, entry.RunDate);
                return GatewayEventOutcome.NotOurs;
            }

            if (await store.GetAsync<GatewayEventReceipt>(firmId, receiptKey, cancellationToken).ConfigureAwait(false) is not null)
            {
                await FollowUpAsync(firmId, stored, cancellationToken).ConfigureAwait(false);
                return GatewayEventOutcome.Duplicate;
            }

            var run = stored.Value;
            if (run.ChargeId != e.ChargeId && run.Returns.All(r => r.ChargeId != e.ChargeId) && run.State is not (RunState.Allocated or RunState.Charged))
            {
                // The run finished without keeping this charge (it kept another, or none): nothing of this run's to change.
                logger.LogWarning("Gateway event {EventId}: charge {ChargeId} names run {RunKey} ({State}), which did not keep it", e.EventId, e.ChargeId, run.RunKey, run.State);
                return GatewayEventOutcome.NotOurs;
            }

            if (run.ChargeId != e.ChargeId && run.Returns.All(r => r.ChargeId != e.ChargeId) || run.State == RunState.Charged)
            {
                // The charge is not recorded on the run yet (the run is charging or writing its postings): later.
                logger.LogInformation("Gateway event {EventId} for run {RunKey} ({State}) arrived before the run recorded charge {ChargeId}", e.EventId, run.RunKey, run.State, e.ChargeId);
                return GatewayEventOutcome.RetryLater;
            }

            var now = clock.GetCurrentInstant();
            var step = run.ChargeId == e.ChargeId
                ? await DecideAsync(firmId, run, e, now, cancellationToken).ConfigureAwait(false)
                : new Step(run, null, [], null, "earlier presentment");
            var changed = !ReferenceEquals(step.Run, run);
            if (step.Representment is { } retry)
            {
                // Registered before the run records it: a crash in between leaves an entry that finds the run not due.
                await retries.ScheduleAsync(retry, cancellationToken).ConfigureAwait(false);
            }

            var receipt = new GatewayEventReceipt(gatewayName, SafeId(e.EventId), run.RunKey, e.GetType().Name, changed ? step.What : "unchanged: " + step.What, now);
            try
            {
                var etag = await moneyBack.CommitAsync(firmId, step.Run, stored.ETag, [RecordWrite.Insert(receipt), .. step.More], step.Reversal, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Gateway event {EventId} ({EventType}) for run {RunKey}: {Outcome}", e.EventId, e.GetType().Name, run.RunKey, receipt.Outcome);
                await FollowUpAsync(firmId, new Stored<RunRecord>(step.Run, etag), cancellationToken).ConfigureAwait(false);
                return changed ? GatewayEventOutcome.Applied : GatewayEventOutcome.Unchanged;
            }
            catch (ConcurrencyException)
            {
                // The run, a ledger or a posting changed since it was read, or this event was recorded meanwhile: again.
            }
        }

        return GatewayEventOutcome.RetryLater;
    }

    /// <summary>
    /// What follows a run's move, done until done: the notices it owes, and the recovery of a lost dispute from the
    /// operating account. Runs after every delivery of an event, the first and any redelivery.
    /// </summary>
    public async Task FollowUpAsync(string firmId, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        run = await notices.SendOwedAsync(firmId, run, cancellationToken).ConfigureAwait(false);
        if (run.Value is not { Dispute: { Status: DisputeStatus.Lost, RecoveryId: null, DebitedBankAccountId: { } operatingId } dispute } r)
        {
            return;
        }

        var operating = await store.GetAsync<BankAccount>(firmId, operatingId, cancellationToken).ConfigureAwait(false);
        if (operating is null || operating.Value.Kind != BankAccountKind.Operating)
        {
            logger.LogError("Run {RunKey}: the lost dispute {DisputeId} cannot be recovered: operating account {BankAccountId} is gone", r.RunKey, dispute.DisputeId, operatingId);
            return;
        }

        var currency = r.Currency!;
        var result = await gateway.RecoverChargebackAsync(
            new ChargebackRecovery(
                "chargeback/" + SafeId(dispute.DisputeId),
                r.ChargeId!,
                dispute.DisputeId,
                new Money(dispute.AmountMinor, currency),
                new Money(dispute.FeeMinor, currency),
                new DepositAccount(r.Snapshot!.BankAccountId, r.Snapshot.DepositKind, r.Snapshot.ConnectedAccountId),
                new DepositAccount(operating.Value.Id, BankAccountKind.Operating, operating.Value.StripeAccountId)),
            cancellationToken).ConfigureAwait(false);
        logger.LogInformation(
            "Run {RunKey}: chargeback {DisputeId} recovered as {RecoveryId}: {Reversed} from the charge's transfer, {Debited} debited from operating account {BankAccountId}",
            r.RunKey, dispute.DisputeId, result.RecoveryId, result.ReversedFromCharge, result.DebitedFromOperating, operatingId);
        for (var round = 0; round < MaxRounds; round++)
        {
            var recovered = run.Value.ChargebackRecovered(result.RecoveryId, clock.GetCurrentInstant());
            if (ReferenceEquals(recovered, run.Value))
            {
                return;
            }

            try
            {
                await ledger.CommitAsync(firmId, [RecordWrite.Replace(recovered, run.ETag)], cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyException)
            {
                run = await ledger.RunAsync(firmId, r.ScheduleId, r.RunDate, cancellationToken).ConfigureAwait(false) ?? run;
            }
        }
    }

    /// <summary>
    /// The run a charge belongs to: the charge index for charges made while every charge was indexed, else the run key
    /// the gateway keeps on the charge (docs/decisions/0043). Null when PayConnect did not make it.
    /// </summary>
    private async Task<RunKey?> RunOfChargeAsync(string chargeId, CancellationToken cancellationToken)
    {
        if (await charges.FindAsync(chargeId, cancellationToken).ConfigureAwait(false) is { } indexed)
        {
            return new RunKey(indexed.FirmId, indexed.ScheduleId, indexed.RunDate);
        }

        return await gateway.RunKeyOfChargeAsync(chargeId, cancellationToken).ConfigureAwait(false) is { } text && RunKey.TryParse(text, out var key) ? key : null;
    }

    /// <summary>A gateway id as a row-key part: as it is when it is plain, hashed when it holds anything else.</summary>
    public static string SafeId(string id) =>
        id.Length is > 0 and <= 200 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? id
            : "h" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..40];

    private async Task<Step> DecideAsync(string firmId, RunRecord run, GatewayEvent e, Instant now, CancellationToken cancellationToken) => e switch
    {
        RefundChanged refund => await RefundAsync(firmId, run, refund, now, cancellationToken).ConfigureAwait(false),
        DisputeChanged dispute => await DisputeAsync(firmId, run, dispute, now, cancellationToken).ConfigureAwait(false),
        AchSettled => await SettledAsync(firmId, run, now, cancellationToken).ConfigureAwait(false),
        AchReturned returned => await ReturnedAsync(firmId, run, returned, now, cancellationToken).ConfigureAwait(false),
        _ => new Step(run, null, [], null, "not acted on"),
    };

    private async Task<Step> RefundAsync(string firmId, RunRecord run, RefundChanged e, Instant now, CancellationToken cancellationToken)
    {
        if (run.State is not RunState.Posted)
        {
            return new Step(run, null, [], null, $"the run is {run.State}");
        }

        var status = e.Status switch
        {
            GatewayRefundStatus.Succeeded => RefundStatus.Succeeded,
            GatewayRefundStatus.Failed => RefundStatus.Failed,
            GatewayRefundStatus.Canceled => RefundStatus.Canceled,
            _ => RefundStatus.Pending,
        };
        var known = run.Refunds.FirstOrDefault(r => r.RefundId == e.RefundId) ?? (e.RefundKey is null ? null : run.Refunds.FirstOrDefault(r => r.Key == e.RefundKey));
        var next = run;
        var key = known?.Key ?? e.RefundId;
        if (known is null)
        {
            // Started in the gateway's dashboard: split it now, newest invoice first (never beyond what remains).
            var amount = Math.Min(e.Amount.Minor, run.ChargeRemaining);
            var parts = amount > 0 ? ReversalSplit.OfTotal(run, amount) ?? [] : [];
            next = next.RefundRecorded(new RunRefund(key, e.Amount.Minor, RefundStatus.Requested, now)
            {
                RefundId = e.RefundId,
                Lines = ReversalSplit.Lines(run, "refund:" + key, parts),
            }, now);
            if (amount < e.Amount.Minor)
            {
                logger.LogError("Run {RunKey}: refund {RefundId} of {Amount} is more than the {Remaining} that had not gone back; reversing only that", run.RunKey, e.RefundId, e.Amount, run.ChargeRemaining);
            }
        }

        var (moved, reversedNow) = next.RefundMoved(key, e.RefundId, status, now);
        if (!reversedNow)
        {
            return new Step(moved, null, [], null, $"refund {e.RefundId} {status}");
        }

        var refund = moved.Refunds.Single(r => r.Key == key);
        var reversal = await moneyBack.PrepareAsync(firmId, moved, refund.Lines, ReversalCause.Refund, "refund:" + key, e.RefundId, now, cancellationToken).ConfigureAwait(false);
        var refunds = moved.Refunds.Select(r => r.Key == key ? r with { Lines = reversal.Lines } : r).ToList();
        return new Step(moved with { Refunds = refunds }, reversal, [], null, $"refund {e.RefundId} succeeded: {reversal.Postings.Count} reversal postings");
    }

    private async Task<Step> DisputeAsync(string firmId, RunRecord run, DisputeChanged e, Instant now, CancellationToken cancellationToken)
    {
        if (run.State is not RunState.Posted)
        {
            return new Step(run, null, [], null, $"the run is {run.State}");
        }

        var status = !e.Closed ? DisputeStatus.Open : e.Won ? DisputeStatus.Won : DisputeStatus.Lost;
        var incoming = new RunDispute(e.DisputeId, e.Amount.Minor, status, now) { Reason = e.Reason, FeeMinor = e.Fee.Minor };
        IReadOnlyList<ReversalLine> lines = [];
        if (status == DisputeStatus.Lost && run.Dispute is not { Status: not DisputeStatus.Open })
        {
            var amount = Math.Min(e.Amount.Minor, run.ChargeRemaining);
            lines = amount > 0 ? ReversalSplit.Lines(run, "dispute:" + e.DisputeId, ReversalSplit.OfTotal(run, amount) ?? []) : [];
            var operating = await OperatingAccountAsync(firmId, run, cancellationToken).ConfigureAwait(false);
            if (operating is null)
            {
                logger.LogError("Run {RunKey}: dispute {DisputeId} was lost but the firm has no operating account to recover the chargeback from; it is never taken from trust", run.RunKey, e.DisputeId);
            }

            incoming = incoming with { Lines = lines, DebitedBankAccountId = operating?.Id, DebitedMinor = checked(e.Amount.Minor + e.Fee.Minor) };
        }

        var (moved, lostNow) = run.DisputeMoved(incoming, now);
        if (!lostNow)
        {
            return new Step(moved, null, [], null, $"dispute {e.DisputeId} {status}");
        }

        var reversal = await moneyBack.PrepareAsync(firmId, moved, lines, ReversalCause.Dispute, "dispute:" + e.DisputeId, e.DisputeId, now, cancellationToken).ConfigureAwait(false);
        return new Step(moved with { Dispute = moved.Dispute! with { Lines = reversal.Lines } }, reversal, [], null, $"dispute {e.DisputeId} lost: {reversal.Postings.Count} reversal postings");
    }

    private async Task<Step> SettledAsync(string firmId, RunRecord run, Instant now, CancellationToken cancellationToken)
    {
        var settled = run.Settled(run.ChargeId!, now);
        if (ReferenceEquals(settled, run))
        {
            return new Step(run, null, [], null, run.SettlementPending ? $"the run is {run.State}" : "already settled or returned");
        }

        return new Step(settled, null, await SettledPostingsAsync(firmId, run, now, cancellationToken).ConfigureAwait(false), null, "settled");
    }

    private async Task<Step> ReturnedAsync(string firmId, RunRecord run, AchReturned e, Instant now, CancellationToken cancellationToken)
    {
        if (run.State is not RunState.Posted || run.Snapshot?.PaymentMethodKind != PaymentMethodKind.Ach)
        {
            return new Step(run, null, [], null, $"the run is {run.State}");
        }

        var code = e.ReturnCode.Trim().ToUpperInvariant();
        var settings = await firms.GetAsync(firmId, cancellationToken).ConfigureAwait(false);
        var zone = settings?.Zone() ?? DateTimeZone.Utc;
        var today = FirmClock.TodayIn(zone, now);
        var original = FirmClock.TodayIn(zone, run.FirstSettledAt ?? run.Events.FirstOrDefault(x => x.What == "Charged")?.At ?? run.CreatedAt);
        var decision = declines.DecideReturn(code, run.Presentment, original, today);
        var (representOn, why) = decision switch
        {
            RetryDecision.RetryOn retry => ((LocalDate?)retry.Date, $"Presented again on {retry.Date:uuuu-MM-dd} (re-presentment {run.Presentment + 1} of at most {DeclineOptions.MaxAchRepresentments})."),
            RetryDecision.GiveUp giveUp => (null, "Not presented again: " + giveUp.Reason),
            _ => (null, "Not presented again."),
        };

        var remaining = run.ChargeRemaining;
        var lines = remaining > 0 ? ReversalSplit.Lines(run, "return:" + run.Presentment, ReversalSplit.OfTotal(run, remaining) ?? []) : [];
        var reversal = await moneyBack.PrepareAsync(firmId, run, lines, ReversalCause.AchReturn, "return:" + run.Presentment, code, now, cancellationToken).ConfigureAwait(false);
        var returned = run.ReturnedBy(new RunReturn(code, AchReturnCodes.Describe(code), run.ChargeId!, run.Presentment, remaining, now)
        {
            Lines = reversal.Lines,
            RepresentOn = representOn,
            Decision = why,
        }, now);
        var entry = representOn is { } on ? new RunRetryEntry(firmId, run.RunKey, run.Attempt + 1, on.AtStartOfDayInZone(zone).ToInstant()) : null;
        var more = run.SettlementPending ? await SettledPostingsAsync(firmId, run, now, cancellationToken).ConfigureAwait(false) : [];
        return new Step(returned, reversal, more, entry, $"returned {code}: {reversal.Postings.Count} reversal postings; {why}");
    }

    /// <summary>The presentment's payment and surcharge postings, no longer pending settlement (the debit settled or came back).</summary>
    private async Task<IReadOnlyList<RecordWrite>> SettledPostingsAsync(string firmId, RunRecord run, Instant now, CancellationToken cancellationToken)
    {
        var ids = run.Lines.Select(l => Posting.IdOf(l.InvoiceNumber, run.ScheduleId, run.RunDate, run.Presentment)).ToList();
        if (run.SurchargeMinor > 0)
        {
            ids.Add(Posting.SurchargeIdOf(run.ScheduleId, run.RunDate, run.Presentment));
        }

        var writes = new List<RecordWrite>();
        foreach (var id in ids.Take(90))
        {
            if (await store.GetAsync<Posting>(firmId, Posting.KeyOf(id), cancellationToken).ConfigureAwait(false) is { Value.SettlementPending: true } posting)
            {
                writes.Add(RecordWrite.Replace(posting.Value with { SettlementPending = false, UpdatedAt = now }, posting.ETag));
            }
        }

        return writes;
    }

    /// <summary>The operating account a chargeback is recovered from: the run's deposit account when it is operating, else the firm's first.</summary>
    private async Task<BankAccount?> OperatingAccountAsync(string firmId, RunRecord run, CancellationToken cancellationToken)
    {
        if (run.Snapshot is { DepositKind: BankAccountKind.Operating } snapshot
            && await store.GetAsync<BankAccount>(firmId, snapshot.BankAccountId, cancellationToken).ConfigureAwait(false) is { } deposit)
        {
            return deposit.Value;
        }

        string? continuation = null;
        do
        {
            var page = await store.ListAsync<BankAccount>(firmId, string.Empty, 100, continuation, a => a.Kind == BankAccountKind.Operating, cancellationToken).ConfigureAwait(false);
            if (page.Items.OrderBy(a => a.Value.CreatedAt).FirstOrDefault() is { } first)
            {
                return first.Value;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return null;
    }

    /// <summary>One event's effect: the run's next state, its reversal, other writes, a re-presentment to schedule, and what happened.</summary>
    private sealed record Step(RunRecord Run, ReversalWrites? Reversal, IReadOnlyList<RecordWrite> More, RunRetryEntry? Representment, string What);
}
