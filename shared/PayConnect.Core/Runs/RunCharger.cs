using System.Globalization;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Text;
using PayConnect.Connect;
using PayConnect.Observability;
using PayConnect.Payments;
using PayConnect.Postings;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// Charges an allocated run (SPEC §2.4) and writes its postings (§2.5). Before every charge attempt it checks the
/// schedule: paused, ended or a changed payment method means no new charge, though a charge already made under the
/// run's key is found and recorded. The charge always carries the idempotency key stored at allocation, so a crash, a
/// timeout or a second delivery can never charge twice. The run moves to Posted in one commit with its postings and
/// its holds marked captured; a decline or a stop releases the holds in the commit that records it.
/// </summary>
public sealed class RunCharger(
    IRecordStore store,
    RunLedger ledger,
    IPaymentGateway gateway,
    DeclinePolicy declinePolicy,
    RunRetries retries,
    FirmSettingsCache firms,
    IClock clock,
    RunEngineOptions options,
    ILogger<RunCharger> logger)
{
    /// <summary>The actor named in the audit trail of postings the engine creates.</summary>
    public const string Actor = "autopay";

    private static readonly LocalDatePattern IsoDate = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");

    public Task<RunStep> ChargeAsync(RunContext context, Stored<RunRecord> run, CancellationToken cancellationToken) =>
        Telemetry.StepAsync("run charge", context.RunKey, () => ChargeInSpanAsync(context, run, cancellationToken));

    private async Task<RunStep> ChargeInSpanAsync(RunContext context, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        var r = run.Value;
        var now = clock.GetCurrentInstant();
        if (r.ParkedUntil is { } until && until > now)
        {
            // A duplicate while the run is parked: its re-check comes from the retry index at the parked time.
            return RunStep.Done;
        }

        if (!context.ScheduleRead)
        {
            context.Schedule = await store.GetAsync<Schedule>(context.FirmId, r.ScheduleId, cancellationToken).ConfigureAwait(false);
            context.ScheduleRead = true;
        }

        ChargeApproved? earlier = null;
        try
        {
            if (RunAllocator.StopReason(context.Schedule?.Value, r) is { } stop)
            {
                // Staff stopped the schedule: no new charge. A charge an earlier delivery made under the key is kept.
                earlier = context.AllocatedHere ? null : await LookUpAsync(r, cancellationToken).ConfigureAwait(false);
                if (earlier is null)
                {
                    return await ReleaseAsync(context, run, r.Skipped(stop.Code, stop.Why, stop.By, now), cancellationToken).ConfigureAwait(false);
                }

                logger.LogWarning("Run {RunKey} was stopped ({Code}) after its charge {ChargeId} was made; recording the charge", context.RunKey, stop.Code, earlier.ChargeId);
                return await PostAsync(context, run, earlier, cancellationToken).ConfigureAwait(false);
            }

            // Allocated long ago and still unconfirmed, the gateway may have forgotten the key; or it said a retry
            // under the key would only replay its failure. Either way, look first.
            if (!context.AllocatedHere && (context.Message.LookUpFirst || (r.AllocatedAt is { } at && now - at >= options.IdempotencyKeyTrust)))
            {
                earlier = await LookUpAsync(r, cancellationToken).ConfigureAwait(false);
                if (earlier is null && context.Message.LookUpFirst)
                {
                    // Consistently not charged, and the old key can only replay the failure: go on under a new key.
                    var rekeyed = r.Rekey("The gateway would only replay a failure for the old key; a consistent lookup found no charge.", now);
                    var etags = await ledger.CommitAsync(context.FirmId, [RecordWrite.Replace(rekeyed, run.ETag)], cancellationToken).ConfigureAwait(false);
                    run = new Stored<RunRecord>(rekeyed, etags[0]!);
                    r = rekeyed;
                    logger.LogWarning("Run {RunKey} charges under a new idempotency key {IdempotencyKey}", context.RunKey, r.IdempotencyKey);
                }
            }

            var result = earlier ?? await CallGatewayAsync(Request(context, r), cancellationToken).ConfigureAwait(false);
            return result switch
            {
                ChargeApproved approved => await PostAsync(context, run, approved, cancellationToken).ConfigureAwait(false),
                ChargeDeclined declined => await DeclinedAsync(context, run, declined, cancellationToken).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"Unknown charge result {result.GetType().Name}."),
            };
        }
        catch (GatewayUnavailableException ex)
        {
            return await UnconfirmedAsync(context, run, ex.Message, ex.LookUpBeforeRetry, cancellationToken).ConfigureAwait(false);
        }
        catch (DuplicateChargeException ex) when (ex.Kept is { } kept)
        {
            // The payer was charged more than once under this attempt's key: keep the first as the run's charge, so
            // postings and holds follow the money, and say loudly which ones must be refunded.
            logger.LogError("Run {RunKey} found {Count} duplicate charges {Duplicates} besides {ChargeId}; staff must refund them", context.RunKey, ex.Duplicates.Count, ex.Duplicates, kept.ChargeId);
            var noted = r.With(new RunEvent(now, "DuplicateCharge", "duplicate_charge", $"Charged more than once; keep {kept.ChargeId}, refund {string.Join(", ", ex.Duplicates)}.", r.AmountMinor, r.Attempt));
            var etags = await ledger.CommitAsync(context.FirmId, [RecordWrite.Replace(noted, run.ETag)], cancellationToken).ConfigureAwait(false);
            return await PostAsync(context, new Stored<RunRecord>(noted, etags[0]!), kept, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayConfigurationException ex)
        {
            // Nothing was charged and no retry helps until an operator fixes the gateway's settings: never silent.
            logger.LogCritical("Run {RunKey} cannot be charged: the payment gateway is misconfigured: {Reason}", context.RunKey, ex.Message);
            return await ParkAsync(context, run, "gateway_misconfigured", "The payment gateway refused its configuration: " + ex.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (IdempotencyKeyReusedException ex)
        {
            var amount = new Money(r.AmountMinor!.Value, r.Currency!);
            logger.LogError("Run {RunKey}: the gateway refused its idempotency key {IdempotencyKey} for {Amount}", context.RunKey, r.IdempotencyKey, amount);
            return await ReleaseAsync(context, run, r.Failed("idempotency_key_reused", "The gateway refused the charge: " + ex.Message, now), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes one posting per paid invoice and moves the run to Posted, in one commit with its holds marked captured
    /// (so the MMS can now show them). Runs with more postings than one commit holds record Charged first.
    /// </summary>
    public Task<RunStep> PostAsync(RunContext context, Stored<RunRecord> run, ChargeApproved? approved, CancellationToken cancellationToken) =>
        Telemetry.StepAsync("run post", context.RunKey, () => PostInSpanAsync(context, run, approved, cancellationToken));

    private async Task<RunStep> PostInSpanAsync(RunContext context, Stored<RunRecord> run, ChargeApproved? approved, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        // No index entry: the gateway's events find this run by the run key the charge carries (docs/decisions/0043).
        var charged = run.Value.State == RunState.Charged ? run.Value : run.Value.Charged(approved!.ChargeId, approved.SettlementPending, now);
        var references = charged.Lines.ToDictionary(l => l.InvoiceNumber.ToUpperInvariant(), l => l.Reference, StringComparer.Ordinal);
        var postings = charged.Lines.Select(l => Posting(charged, l, now)).ToList();
        if (charged.SurchargeMinor > 0)
        {
            postings.Add(SurchargePosting(charged, now));
        }
        var clients = charged.Lines.Select(l => l.ClientNumber).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

        if (postings.Count + clients.Count + 1 > 100)
        {
            if (run.Value.State != RunState.Charged)
            {
                var etags = await ledger.CommitAsync(context.FirmId, [RecordWrite.Replace(charged, run.ETag)], cancellationToken).ConfigureAwait(false);
                run = new Stored<RunRecord>(charged, etags[0]!);
            }

            foreach (var posting in postings)
            {
                try
                {
                    await store.InsertAsync(context.FirmId, posting, cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyException ex) when (ex.AlreadyExists)
                {
                    // Written by an earlier delivery; keep it as it is (staff may already have acted on it).
                }
            }

            postings = [];
        }

        for (var round = 0; round < options.MaxCommitRetries; round++)
        {
            // First try the ledgers as this delivery wrote them at allocation (nothing else usually touched them since).
            var known = round == 0 && clients.All(c => context.Ledgers.ContainsKey(c.ToUpperInvariant()));
            var ledgers = known
                ? clients.Select(c => c.ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToDictionary(c => c, c => (Stored<ClientLedger>?)context.Ledgers[c], StringComparer.Ordinal)
                : await ledger.LedgersAsync(context.FirmId, clients, cancellationToken).ConfigureAwait(false);
            var posted = charged.Posted(now);
            var writes = new List<RecordWrite> { RecordWrite.Replace(posted, run.ETag) };
            writes.AddRange(postings.Select(RecordWrite.Insert));
            foreach (var (client, stored) in ledgers)
            {
                if (stored is not null && HoldRules.Capture(stored.Value, context.RunKey, charged.ChargeId!, references, now) is var captured && !ReferenceEquals(captured, stored.Value))
                {
                    writes.Add(RecordWrite.Replace(captured, stored.ETag));
                }
            }

            try
            {
                var etags = await ledger.CommitAsync(context.FirmId, writes, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Run {RunKey} charged {AmountMinor} {Currency} as {ChargeId} and posted {Postings} postings", context.RunKey, posted.AmountMinor, posted.Currency, posted.ChargeId, posted.Lines.Count);
                Telemetry.Charged(posted.AmountMinor!.Value, posted.Currency!);
                System.Diagnostics.Activity.Current?.SetTag(Telemetry.Tags.Postings, posted.Lines.Count);
                return new RunStep.Next(new Stored<RunRecord>(posted, etags[0]!));
            }
            catch (ConcurrencyException ex) when (ex.FailedIndex is { } index && index > postings.Count)
            {
                // A client ledger changed (another run of the client allocated meanwhile): read it again.
            }
            catch (ConcurrencyException)
            {
                // The run (or one of its postings) was written by another delivery: go on from the stored run.
                var stored = await ledger.RunAsync(context.FirmId, context.Key.ScheduleId, context.Key.RunDate, cancellationToken).ConfigureAwait(false);
                if (stored is not null && stored.ETag != run.ETag)
                {
                    return new RunStep.Next(stored);
                }
            }
        }

        return RunAllocator.Later(context, Duration.FromSeconds(5), context.Message, "Other runs kept changing the same clients' holds.", Telemetry.RetryReasons.HoldContention);
    }

    /// <summary>Stores a move that ends the run's claim on its invoices (declined, stopped, failed) with its holds released.</summary>
    public async Task<RunStep> ReleaseAsync(RunContext context, Stored<RunRecord> run, RunRecord next, CancellationToken cancellationToken) =>
        new RunStep.Next(await ledger.ReleaseAsync(context.FirmId, run, next, clock.GetCurrentInstant, options.MaxCommitRetries, cancellationToken).ConfigureAwait(false));

    private async Task<RunStep> DeclinedAsync(RunContext context, Stored<RunRecord> run, ChargeDeclined declined, CancellationToken cancellationToken)
    {
        var r = run.Value;
        var now = clock.GetCurrentInstant();
        var settings = await firms.GetAsync(context.FirmId, cancellationToken).ConfigureAwait(false);
        var zone = settings?.Zone() ?? DateTimeZone.Utc;
        var today = FirmClock.TodayIn(zone, now);
        var rail = r.Snapshot?.PaymentMethodKind == PaymentMethodKind.Ach ? PaymentRail.Ach : PaymentRail.Card;
        var decision = declinePolicy.Decide(declined, rail, r.Attempt, r.FirstAttemptOn ?? today, today);
        var reason = $"Payment declined: {declined.Message} ({declined.Code}).";
        LocalDate? retryOn = null;
        if (decision is RetryDecision.RetryOn retry)
        {
            retryOn = retry.Date;
            reason += $" It will be tried again on {IsoDate.Format(retry.Date)}.";

            // The retry is registered before the run records it: a crash in between leaves an entry that finds the run
            // still Allocated (and the charge replays the same decline), never a run waiting for a retry nobody sends.
            await retries.ScheduleAsync(new RunRetryEntry(context.FirmId, context.RunKey, r.Attempt + 1, retry.Date.AtStartOfDayInZone(zone).ToInstant()), cancellationToken).ConfigureAwait(false);
            Telemetry.RetriedLater(Telemetry.RetryReasons.SoftDecline);
        }
        else if (decision is RetryDecision.GiveUp giveUp)
        {
            reason += " " + giveUp.Reason;
        }

        logger.LogInformation("Run {RunKey} attempt {Attempt} declined {Code} ({Kind}); retry on {RetryOn}", context.RunKey, r.Attempt, declined.Code, declined.Kind, retryOn);
        return await ReleaseAsync(context, run, r.Declined(declined.Code, declined.Message, retryOn, reason, now), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The gateway did not confirm the charge: ask again later (with the same key, or look first), then park the run.</summary>
    private async Task<RunStep> UnconfirmedAsync(RunContext context, Stored<RunRecord> run, string why, bool lookUpFirst, CancellationToken cancellationToken)
    {
        var failures = context.Message.GatewayFailures + 1;
        if (failures <= options.GatewayRetryDelays.Count)
        {
            var delay = options.GatewayRetryDelays[failures - 1];
            logger.LogWarning("Run {RunKey}: the gateway did not confirm the charge ({Failures} in a row): {Why}; asking again in {Delay}", context.RunKey, failures, why, delay);
            return RunAllocator.Later(context, delay, context.Message with { GatewayFailures = failures, LookUpFirst = lookUpFirst || context.Message.LookUpFirst },
                "The gateway did not confirm the charge: " + why, Telemetry.RetryReasons.GatewayUnconfirmed);
        }

        return await ParkAsync(context, run, "gateway_unavailable", $"The gateway did not confirm the charge ({failures} tries): {why}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parks the run (it holds up nothing meanwhile) and re-checks it later with the same key.</summary>
    private async Task<RunStep> ParkAsync(RunContext context, Stored<RunRecord> run, string code, string why, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var until = now + options.ParkFor;
        await retries.ScheduleAsync(new RunRetryEntry(context.FirmId, context.RunKey, run.Value.Attempt, until), cancellationToken).ConfigureAwait(false);
        Telemetry.RetriedLater(Telemetry.RetryReasons.Parked);
        var parked = run.Value.Parked(until, code, why, now);
        await ledger.CommitAsync(context.FirmId, [RecordWrite.Replace(parked, run.ETag)], cancellationToken).ConfigureAwait(false);
        logger.LogWarning("Run {RunKey} parked until {Until} ({Code}): {Why}", context.RunKey, until, code, why);
        return RunStep.Done;
    }

    /// <summary>The gateway call, in a client span of its own: amount, attempt and outcome, never the token.</summary>
    private async Task<ChargeResult> CallGatewayAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        using var span = Telemetry.StartRunStep("gateway charge", request.RunKey, System.Diagnostics.ActivityKind.Client);
        span?.SetTag(Telemetry.Tags.AmountMinor, request.Amount.Minor);
        span?.SetTag(Telemetry.Tags.Currency, request.Amount.Currency);
        span?.SetTag(Telemetry.Tags.Attempt, request.Metadata.GetValueOrDefault("attempt"));
        try
        {
            var result = await gateway.ChargeAsync(request, cancellationToken).ConfigureAwait(false);
            span?.SetTag(Telemetry.Tags.Outcome, result is ChargeDeclined ? "declined" : "approved");
            span?.SetTag(Telemetry.Tags.DeclineCode, (result as ChargeDeclined)?.Code);
            return result;
        }
        catch (Exception ex)
        {
            Telemetry.Failed(span, ex);
            throw;
        }
    }

    /// <summary>Asks the gateway for a charge made earlier under the run's key, in a client span of its own.</summary>
    private async Task<ChargeApproved?> LookUpAsync(RunRecord r, CancellationToken cancellationToken)
    {
        using var span = Telemetry.StartRunStep("gateway lookup", r.RunKey, System.Diagnostics.ActivityKind.Client);
        try
        {
            var found = await gateway.FindChargeAsync(Lookup(r), cancellationToken).ConfigureAwait(false);
            span?.SetTag(Telemetry.Tags.Outcome, found is null ? "not_found" : "found");
            return found;
        }
        catch (Exception ex)
        {
            Telemetry.Failed(span, ex);
            throw;
        }
    }

    private static ChargeLookup Lookup(RunRecord r) => new(r.IdempotencyKey!, r.Snapshot!.PaymentMethodToken, r.AllocatedAt ?? r.CreatedAt);

    private static ChargeRequest Request(RunContext context, RunRecord r) => new(
        r.IdempotencyKey!,
        r.RunKey,
        r.Snapshot!.PaymentMethodToken,
        new Money(r.AmountMinor!.Value, r.Currency!),
        new DepositAccount(r.Snapshot.BankAccountId, r.Snapshot.DepositKind, r.Snapshot.ConnectedAccountId),
        r.Snapshot.PaymentMethodKind == PaymentMethodKind.Ach ? PaymentRail.Ach : PaymentRail.Card,
        r.Snapshot.MandateId,
        r.Snapshot.ArMessage,
        new Dictionary<string, string>
        {
            ["firmId"] = context.FirmId,
            ["scheduleId"] = r.ScheduleId,
            ["runDate"] = IsoDate.Format(r.RunDate),
            ["attempt"] = r.Attempt.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>The run's card surcharge: its own posting into the (operating) deposit account, on no invoice.</summary>
    private static Posting SurchargePosting(RunRecord r, Instant now) => new(
        Postings.Posting.SurchargeIdOf(r.ScheduleId, r.RunDate, r.Presentment),
        Postings.Posting.SurchargeInvoice,
        r.Lines[0].ClientNumber,
        string.Empty,
        r.SurchargeMinor,
        r.Currency!,
        r.RunKey,
        r.RunDate,
        r.ScheduleId,
        r.Snapshot!.PayerId,
        r.ChargeId!,
        r.Snapshot.BankAccountId,
        r.Snapshot.ArMessage,
        PostingState.Pending,
        1,
        [new PostingAudit(1, "Created", null, PostingState.Pending, Actor, now, null)],
        now,
        now)
    {
        Kind = PostingKind.Surcharge,
        Reference = r.SurchargeReference,
        SettlementPending = r.SettlementPending,
    };

    private static Posting Posting(RunRecord r, RunLine line, Instant now) => new(
        Postings.Posting.IdOf(line.InvoiceNumber, r.ScheduleId, r.RunDate, r.Presentment),
        line.InvoiceNumber,
        line.ClientNumber,
        line.MatterNumber,
        line.AmountMinor,
        r.Currency!,
        r.RunKey,
        r.RunDate,
        r.ScheduleId,
        r.Snapshot!.PayerId,
        r.ChargeId!,
        r.Snapshot.BankAccountId,
        r.Snapshot.ArMessage,
        PostingState.Pending,
        1,
        [new PostingAudit(1, "Created", null, PostingState.Pending, Actor, now, null)],
        now,
        now)
    {
        Reference = line.Reference,
        SettlementPending = r.SettlementPending,
    };
}
