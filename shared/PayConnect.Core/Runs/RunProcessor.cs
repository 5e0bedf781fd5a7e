using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using PayConnect.Allocation;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Notifications;
using PayConnect.Payments;
using PayConnect.Postings;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>Settings of <see cref="RunProcessor"/>.</summary>
public sealed record RunProcessorOptions
{
    /// <summary>
    /// Deliveries of one run message that may find the MMS unreachable before the run is recorded Failed. Earlier
    /// deliveries release the message (Retry) so a short outage does not fail the run. Keep it below the queue's
    /// MaxDeliveryCount (10), or the broker dead-letters the message before the run is recorded.
    /// </summary>
    public int MmsDeliveryAttempts { get; init; } = 3;

    /// <summary>
    /// A reservation older than this is checked against its run; it is dropped when the run is no longer between
    /// allocation and postings (it crashed after finishing, before releasing).
    /// </summary>
    public Duration CheckReservationsAfter { get; init; } = Duration.FromMinutes(15);

    /// <summary>
    /// Deliveries that may find the gateway unable to confirm a charge before the run is parked: the message is
    /// completed and a re-check with the same idempotency key is put in the retry index for <see cref="ParkFor"/>
    /// later, instead of letting the broker dead-letter the message at its MaxDeliveryCount (10).
    /// </summary>
    public int GatewayDeliveryAttempts { get; init; } = 5;

    public Duration ParkFor { get; init; } = Duration.FromHours(1);

    /// <summary>
    /// How long a gateway is trusted to remember an idempotency key. A run still unconfirmed after this asks the
    /// gateway for a charge made under its key before charging again (Stripe prunes keys after 24 h).
    /// </summary>
    public Duration IdempotencyKeyTrust { get; init; } = Duration.FromHours(20);
}

/// <summary>
/// Processes one run (SPEC §2.3–§2.6) from its queue message. The run record is the single source of truth and
/// moves Started → Allocated → Charged → Posted (or NothingDue, Failed, Skipped) with ETag-checked writes; a
/// redelivered or concurrent duplicate message resumes from the stored state or stops. The charge is always sent
/// with the idempotency key stored in the Allocated record, so even a crash between the charge and its record is
/// settled by the gateway replaying the first result: never a second charge.
/// </summary>
public sealed class RunProcessor(
    IRecordStore store,
    IMmsConnector mms,
    IPaymentGateway gateway,
    DeclinePolicy declinePolicy,
    FailureOutbox outbox,
    IClock clock,
    RunProcessorOptions options,
    PaymentPlanCompletion paymentPlans) : IMessageHandler
{
    /// <summary>The actor named in the audit trail of postings the processor creates.</summary>
    public const string Actor = "autopay";

    private const int MaxSteps = 16;
    private static readonly LocalDatePattern IsoDate = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");

    /// <summary>
    /// Reads the run key from the body (<c>{"runKey":"firm/sched/yyyy-MM-dd"}</c>) or, without a body, from the
    /// message id; a malformed or contradicting key is dead-lettered. Unexpected exceptions (storage down) propagate:
    /// the drain releases the message and the next delivery resumes from the stored state.
    /// </summary>
    public async Task<MessageOutcome> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TryReadRunKey(message, out var key, out var problem))
        {
            return new MessageOutcome.DeadLetter("MalformedRunKey", problem);
        }

        return await ProcessAsync(key, message.DeliveryCount, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the run as far as it can go now.</summary>
    /// <param name="key">The run.</param>
    /// <param name="deliveryCount">1 on the first delivery of the message; bounds retries of an unreachable MMS.</param>
    /// <param name="cancellationToken">Cancels the work; the stored state stays consistent.</param>
    public async Task<MessageOutcome> ProcessAsync(RunKey key, int deliveryCount, CancellationToken cancellationToken)
    {
        var firmId = key.FirmId;
        var recordKey = RunRecord.KeyOf(key.ScheduleId, key.RunDate);
        var run = await store.GetAsync<RunRecord>(firmId, recordKey, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            try
            {
                run = await store.InsertAsync(firmId, RunRecord.Start(key, clock.GetCurrentInstant()), cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyException ex) when (ex.AlreadyExists)
            {
                run = await ReadAgainAsync(firmId, recordKey, cancellationToken).ConfigureAwait(false);
            }
        }

        for (var step = 0; step < MaxSteps; step++)
        {
            Step next;
            try
            {
                next = run.Value.State switch
                {
                    RunState.Started => await AllocateAsync(firmId, key, run, deliveryCount, cancellationToken).ConfigureAwait(false),
                    RunState.Allocated => await ChargeAsync(firmId, run, deliveryCount, cancellationToken).ConfigureAwait(false),
                    RunState.Charged => await PostAsync(firmId, run, cancellationToken).ConfigureAwait(false),
                    RunState.Failed => await AfterFailureAsync(firmId, run, cancellationToken).ConfigureAwait(false),
                    RunState.Posted or RunState.NothingDue => await AfterPaidAsync(firmId, key, cancellationToken).ConfigureAwait(false),
                    _ => Step.Done(MessageOutcome.Completed),
                };
            }
            catch (ConcurrencyException ex) when (!ex.AlreadyExists)
            {
                // Another delivery of this run moved the record first: continue from wherever it is now.
                next = Step.Continue(await ReadAgainAsync(firmId, recordKey, cancellationToken).ConfigureAwait(false));
            }

            if (next.Outcome is { } outcome)
            {
                return outcome;
            }

            run = next.Run!;
        }

        return new MessageOutcome.Retry("The run record kept changing under this delivery.");
    }

    private async Task<Step> AllocateAsync(string firmId, RunKey key, Stored<RunRecord> run, int deliveryCount, CancellationToken ct)
    {
        var schedule = (await store.GetAsync<Schedule>(firmId, key.ScheduleId, ct).ConfigureAwait(false))?.Value;
        if (schedule is null || schedule.State != ScheduleState.Active)
        {
            var why = schedule is null ? "The schedule no longer exists." : $"The schedule is {schedule.State}.";
            return await MoveAsync(firmId, run, run.Value with { State = RunState.Skipped, FailureReason = why }, ct).ConfigureAwait(false);
        }

        var (zone, _) = await FirmAsync(firmId, ct).ConfigureAwait(false);
        var today = FirmClock.TodayIn(zone, clock.GetCurrentInstant());
        var snapshot = run.Value with
        {
            PayerId = schedule.PayerId,
            PaymentMethodId = schedule.PaymentMethodId,
            BankAccountId = schedule.BankAccountId,
            ArMessage = schedule.ArMessage,
            Currency = schedule.Currency,
            FirstAttemptOn = run.Value.FirstAttemptOn ?? today,
        };

        var method = await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(schedule.PayerId, schedule.PaymentMethodId), ct).ConfigureAwait(false);
        if (method is null)
        {
            return await FailAsync(firmId, run, snapshot, "payment_method_missing", "The schedule's payment method no longer exists.", null, ct).ConfigureAwait(false);
        }

        snapshot = snapshot with { PaymentMethodToken = method.Value.Token, PaymentMethodKind = method.Value.Kind };

        AmountRule rule = AmountRule.PayAll;
        if (schedule.AmountRule == AmountRuleKind.UpTo)
        {
            if (!AmountRule.TryUpTo(new Money(schedule.CapMinor ?? 0, schedule.Currency), out var upTo, out var error))
            {
                return await FailAsync(firmId, run, snapshot, "invalid_amount_rule", $"The schedule's amount rule is invalid: {error}", null, ct).ConfigureAwait(false);
            }

            rule = upTo;
        }

        var scopes = new List<MmsScope>();
        foreach (var associationId in schedule.EnrolledAssociationIds.Distinct(StringComparer.Ordinal))
        {
            var association = await store.GetAsync<Association>(firmId, Association.KeyOf(schedule.PayerId, associationId), ct).ConfigureAwait(false);
            if (association is not null)
            {
                scopes.Add(new MmsScope(association.Value.Level, association.Value.ScopeNumber));
            }
        }

        if (scopes.Count == 0)
        {
            return await MoveAsync(firmId, run, snapshot with { State = RunState.NothingDue, FailureReason = "Nothing is enrolled." }, ct).ConfigureAwait(false);
        }

        IReadOnlyList<MmsInvoice> invoices;
        try
        {
            invoices = await mms.OutstandingInvoicesAsync(firmId, scopes, ct).ConfigureAwait(false);
        }
        catch (MmsUnavailableException ex)
        {
            if (deliveryCount < options.MmsDeliveryAttempts)
            {
                return Step.Done(new MessageOutcome.Retry("The MMS is unreachable: " + ex.Message));
            }

            return await FailAsync(firmId, run, snapshot, "mms_unavailable",
                $"The matter management system could not be reached ({deliveryCount} tries): {ex.Message}", null, ct).ConfigureAwait(false);
        }

        var outstanding = invoices.Select(i => new OutstandingInvoice(
            i.Key, i.Number, i.ClientNumber, i.MatterNumber, i.InvoiceDate, i.DueDate, new Money(i.OutstandingMinor, i.Currency))).ToList();
        for (var round = 0; round < MaxSteps; round++)
        {
            // Ledger first, postings second: a run releases its reservation only after writing its postings, so a
            // reservation missing from this read is already visible as postings in the next.
            var ledger = await store.GetAsync<AllocationLedger>(firmId, AllocationLedger.LedgerKey, ct).ConfigureAwait(false);
            var others = await LiveReservationsAsync(firmId, ledger, run.Value.RunKey, ct).ConfigureAwait(false);
            var pending = others
                .Where(r => invoices.Any(i => i.Key == r.Invoice))
                .Select(r => new PendingPosting(r.Invoice, new Money(r.AmountMinor, r.Currency)))
                .ToList();
            foreach (var invoice in invoices)
            {
                foreach (var posting in await PendingPostingsAsync(firmId, invoice.Number, ct).ConfigureAwait(false))
                {
                    pending.Add(new PendingPosting(invoice.Key, posting.Amount));
                }
            }

            switch (Allocator.Allocate(schedule.Currency, outstanding, pending, rule))
            {
                case AllocationResult.Allocated allocated:
                    var lines = allocated.Lines
                        .Select(l => new RunLine(l.Invoice.InvoiceNumber, l.Invoice.ClientId, l.Invoice.MatterId, l.Amount.Minor, l.Available.Minor))
                        .ToList();
                    if (!await TryReserveAsync(firmId, ledger, others, run.Value.RunKey, lines, schedule.Currency, ct).ConfigureAwait(false))
                    {
                        continue;
                    }

                    // Stored BEFORE the charge: from here on every delivery charges exactly this, with exactly this key.
                    return await MoveAsync(firmId, run, snapshot with
                    {
                        State = RunState.Allocated,
                        Lines = lines,
                        AmountMinor = allocated.Total.Minor,
                        IdempotencyKey = ChargeIdempotencyKey.For(run.Value.RunKey, run.Value.Attempt),
                    }, ct).ConfigureAwait(false);
                case AllocationResult.Rejected rejected:
                    return await FailAsync(firmId, run, snapshot, "allocation_rejected", rejected.Message, null, ct).ConfigureAwait(false);
                default:
                    return await MoveAsync(firmId, run, snapshot with { State = RunState.NothingDue }, ct).ConfigureAwait(false);
            }
        }

        return Step.Done(new MessageOutcome.Retry("Other runs of this firm kept allocating at the same time."));
    }

    /// <summary>Other runs' reservations, without those whose runs have finished (checked once they are old).</summary>
    private async Task<List<Reservation>> LiveReservationsAsync(string firmId, Stored<AllocationLedger>? ledger, string runKey, CancellationToken ct)
    {
        var live = new List<Reservation>();
        var now = clock.GetCurrentInstant();
        var checkedRuns = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var reservation in ledger?.Value.Reservations ?? [])
        {
            if (reservation.RunKey == runKey)
            {
                continue;
            }

            if (now - reservation.At > options.CheckReservationsAfter && RunKey.TryParse(reservation.RunKey, out var holder))
            {
                if (!checkedRuns.TryGetValue(reservation.RunKey, out var holds))
                {
                    var holderRun = await store.GetAsync<RunRecord>(firmId, RunRecord.KeyOf(holder.ScheduleId, holder.RunDate), ct).ConfigureAwait(false);
                    holds = holderRun is { Value.State: RunState.Allocated or RunState.Charged };
                    checkedRuns[reservation.RunKey] = holds;
                }

                if (!holds)
                {
                    continue;
                }
            }

            live.Add(reservation);
        }

        return live;
    }

    private async Task<bool> TryReserveAsync(
        string firmId, Stored<AllocationLedger>? ledger, List<Reservation> others, string runKey, List<RunLine> lines, string currency, CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var next = new AllocationLedger(
            [.. others, .. lines.Select(l => new Reservation(runKey, l.InvoiceNumber.ToUpperInvariant(), l.AmountMinor, currency, now))],
            now);
        try
        {
            if (ledger is null)
            {
                await store.InsertAsync(firmId, next, ct).ConfigureAwait(false);
            }
            else
            {
                await store.ReplaceAsync(firmId, next, ledger.ETag, ct).ConfigureAwait(false);
            }

            return true;
        }
        catch (ConcurrencyException)
        {
            return false;
        }
    }

    /// <summary>Drops this run's reservations (after its postings are written, or when it will not charge).</summary>
    private async Task ReleaseAsync(string firmId, string runKey, CancellationToken ct)
    {
        for (var round = 0; round < MaxSteps; round++)
        {
            var ledger = await store.GetAsync<AllocationLedger>(firmId, AllocationLedger.LedgerKey, ct).ConfigureAwait(false);
            if (ledger is null || ledger.Value.Reservations.All(r => r.RunKey != runKey))
            {
                return;
            }

            try
            {
                var kept = ledger.Value.Reservations.Where(r => r.RunKey != runKey).ToList();
                await store.ReplaceAsync(firmId, new AllocationLedger(kept, clock.GetCurrentInstant()), ledger.ETag, ct).ConfigureAwait(false);
                return;
            }
            catch (ConcurrencyException)
            {
                // Another run changed the ledger meanwhile: read it again.
            }
        }

        throw new InvalidOperationException($"Could not release the reservations of run {runKey}: the ledger kept changing.");
    }

    private async Task<Step> ChargeAsync(string firmId, Stored<RunRecord> run, int deliveryCount, CancellationToken ct)
    {
        var r = run.Value;
        var amount = new Money(r.AmountMinor!.Value, r.Currency!);
        // Routing and the ACH mandate (docs/decisions/0015): the deposit account's kind and connected account.
        var account = (await store.GetAsync<BankAccount>(firmId, r.BankAccountId!, ct).ConfigureAwait(false))?.Value;
        if (account is null)
        {
            return await FailAsync(firmId, run, r, "bank_account_missing", "The schedule's bank account no longer exists.", null, ct).ConfigureAwait(false);
        }

        var method = (await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(r.PayerId!, r.PaymentMethodId!), ct).ConfigureAwait(false))?.Value;
        var rail = r.PaymentMethodKind == PaymentMethodKind.Ach ? PaymentRail.Ach : PaymentRail.Card;
        var request = new ChargeRequest(
            r.IdempotencyKey!,
            r.RunKey,
            r.PaymentMethodToken!,
            amount,
            new DepositAccount(account.Id, account.Kind, account.StripeAccountId),
            rail,
            rail == PaymentRail.Ach ? method?.MandateId : null,
            r.ArMessage,
            new Dictionary<string, string>
            {
                ["firmId"] = firmId,
                ["scheduleId"] = r.ScheduleId,
                ["runDate"] = IsoDate.Format(r.RunDate),
                ["attempt"] = r.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

        ChargeResult result;
        try
        {
            // Allocated long ago and still unconfirmed: the gateway may have forgotten the key, so look first.
            var earlier = clock.GetCurrentInstant() - r.UpdatedAt >= options.IdempotencyKeyTrust
                ? await gateway.FindChargeAsync(new ChargeLookup(r.IdempotencyKey!, r.PaymentMethodToken!, r.UpdatedAt), ct).ConfigureAwait(false)
                : null;
            result = earlier ?? await gateway.ChargeAsync(request, ct).ConfigureAwait(false);
        }
        catch (GatewayUnavailableException ex)
        {
            // Unknown outcome: the record stays Allocated, so the next delivery asks again with the same key.
            if (deliveryCount < options.GatewayDeliveryAttempts)
            {
                return Step.Done(new MessageOutcome.Retry("The gateway did not confirm the charge: " + ex.Message));
            }

            // A longer outage: park the run rather than lose the message to the dead-letter queue.
            var dueAt = clock.GetCurrentInstant() + options.ParkFor;
            await new RunRetries(store).ScheduleAsync(new RunRetryEntry(firmId, r.RunKey, r.Attempt, dueAt), ct).ConfigureAwait(false);
            return Step.Done(MessageOutcome.Completed);
        }
        catch (IdempotencyKeyReusedException ex)
        {
            return await FailAsync(firmId, run, r, "idempotency_key_reused", "The gateway refused the charge: " + ex.Message, amount, ct).ConfigureAwait(false);
        }

        switch (result)
        {
            case ChargeApproved approved:
                return await MoveAsync(firmId, run, r with { State = RunState.Charged, ChargeId = approved.ChargeId }, ct).ConfigureAwait(false);
            case ChargeDeclined declined:
                var (zone, _) = await FirmAsync(firmId, ct).ConfigureAwait(false);
                var today = FirmClock.TodayIn(zone, clock.GetCurrentInstant());
                var decision = declinePolicy.Decide(declined, rail, r.Attempt, r.FirstAttemptOn ?? today, today);
                var reason = $"Payment declined: {declined.Message} ({declined.Code}).";
                LocalDate? retryOn = null;
                if (decision is RetryDecision.RetryOn retry)
                {
                    retryOn = retry.Date;
                    reason += $" It will be tried again on {IsoDate.Format(retry.Date)}.";
                }
                else if (decision is RetryDecision.GiveUp giveUp)
                {
                    reason += " " + giveUp.Reason;
                }

                return await FailAsync(firmId, run, r with { RetryOn = retryOn }, declined.Code, reason, amount, ct).ConfigureAwait(false);
            default:
                throw new InvalidOperationException($"Unknown charge result {result.GetType().Name}.");
        }
    }

    private async Task<Step> PostAsync(string firmId, Stored<RunRecord> run, CancellationToken ct)
    {
        var r = run.Value;
        var now = clock.GetCurrentInstant();
        var postings = r.Lines.Select(l => new Posting(
            Posting.IdOf(l.InvoiceNumber, r.ScheduleId, r.RunDate),
            l.InvoiceNumber,
            l.ClientNumber,
            l.MatterNumber,
            l.AmountMinor,
            r.Currency!,
            r.RunKey,
            r.RunDate,
            r.ScheduleId,
            r.PayerId!,
            r.ChargeId!,
            r.BankAccountId!,
            r.ArMessage,
            PostingState.Pending,
            1,
            [new PostingAudit(1, "Created", null, PostingState.Pending, Actor, now, null)],
            now,
            now)).ToList();

        foreach (var chunk in postings.Chunk(100))
        {
            try
            {
                await store.InsertAllAsync(firmId, chunk, ct).ConfigureAwait(false);
            }
            catch (ConcurrencyException ex) when (ex.AlreadyExists)
            {
                // Some were written by an earlier delivery; keep those as they are (staff may already have acted on them).
                foreach (var posting in chunk)
                {
                    try
                    {
                        await store.InsertAsync(firmId, posting, ct).ConfigureAwait(false);
                    }
                    catch (ConcurrencyException again) when (again.AlreadyExists)
                    {
                    }
                }
            }
        }

        await ReleaseAsync(firmId, r.RunKey, ct).ConfigureAwait(false);
        return await MoveAsync(firmId, run, r with { State = RunState.Posted }, ct).ConfigureAwait(false);
    }

    /// <summary>A payment plan whose enrolled invoices are now all paid ends here; other schedules go on.</summary>
    private async Task<Step> AfterPaidAsync(string firmId, RunKey key, CancellationToken ct)
    {
        await paymentPlans.EndIfPaidOffAsync(firmId, key.ScheduleId, ct).ConfigureAwait(false);
        return Step.Done(MessageOutcome.Completed);
    }

    private async Task<Step> AfterFailureAsync(string firmId, Stored<RunRecord> run, CancellationToken ct)
    {
        var r = run.Value;
        if (!r.Notified)
        {
            // A failed run charges nothing (a later attempt reserves afresh).
            await ReleaseAsync(firmId, r.RunKey, ct).ConfigureAwait(false);
            if (r.RetryOn is { } retryDate)
            {
                var (firmZone, _) = await FirmAsync(firmId, ct).ConfigureAwait(false);
                var dueAt = retryDate.AtStartOfDayInZone(firmZone).ToInstant();
                await new RunRetries(store).ScheduleAsync(new RunRetryEntry(firmId, r.RunKey, r.Attempt + 1, dueAt), ct).ConfigureAwait(false);
            }

            // Enqueue is idempotent per run attempt and subscriber; the flag only saves the work on later deliveries.
            await outbox.EnqueueAsync(firmId, r.RunKey, r.Key, r.Attempt, await DetailsAsync(firmId, r, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            return await MoveAsync(firmId, run, r with { Notified = true }, ct).ConfigureAwait(false);
        }

        if (r.RetryOn is { } retryOn)
        {
            var (zone, _) = await FirmAsync(firmId, ct).ConfigureAwait(false);
            if (retryOn <= FirmClock.TodayIn(zone, clock.GetCurrentInstant()))
            {
                // A soft decline's retry is a new attempt with its own idempotency key, allocated afresh.
                return await MoveAsync(firmId, run, r with
                {
                    State = RunState.Started,
                    Attempt = r.Attempt + 1,
                    IdempotencyKey = null,
                    Lines = [],
                    AmountMinor = null,
                    ChargeId = null,
                    FailureCode = null,
                    FailureReason = null,
                    RetryOn = null,
                    Notified = false,
                }, ct).ConfigureAwait(false);
            }
        }

        return Step.Done(MessageOutcome.Completed);
    }

    private async Task<Step> FailAsync(string firmId, Stored<RunRecord> run, RunRecord source, string code, string reason, Money? attempted, CancellationToken ct)
    {
        var failed = source with
        {
            State = RunState.Failed,
            FailureCode = code,
            FailureReason = reason,
            Notified = false,
            AmountMinor = attempted?.Minor ?? source.AmountMinor,
        };
        return await MoveAsync(firmId, run, failed, ct).ConfigureAwait(false);
    }

    private async Task<Step> MoveAsync(string firmId, Stored<RunRecord> run, RunRecord next, CancellationToken ct)
    {
        var stored = await store.ReplaceAsync(firmId, next with { UpdatedAt = clock.GetCurrentInstant() }, run.ETag, ct).ConfigureAwait(false);
        return Step.Continue(stored);
    }

    private async Task<IReadOnlyList<Posting>> PendingPostingsAsync(string firmId, string invoiceNumber, CancellationToken ct)
    {
        var found = new List<Posting>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<Posting>(
                firmId, Posting.InvoicePrefix(invoiceNumber), 200, continuation,
                p => p.State == PostingState.Pending && string.Equals(p.InvoiceNumber, invoiceNumber, StringComparison.OrdinalIgnoreCase),
                ct).ConfigureAwait(false);
            found.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return found;
    }

    private async Task<FailedAutoPayDetails> DetailsAsync(string firmId, RunRecord r, CancellationToken ct)
    {
        var (_, firmName) = await FirmAsync(firmId, ct).ConfigureAwait(false);
        var schedule = (await store.GetAsync<Schedule>(firmId, r.ScheduleId, ct).ConfigureAwait(false))?.Value;
        var payerId = r.PayerId ?? schedule?.PayerId;
        var payer = payerId is null ? null : (await store.GetAsync<Payer>(firmId, payerId, ct).ConfigureAwait(false))?.Value;
        var methodId = r.PaymentMethodId ?? schedule?.PaymentMethodId;
        var method = payerId is null || methodId is null
            ? null
            : (await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(payerId, methodId), ct).ConfigureAwait(false))?.Value;
        return new FailedAutoPayDetails
        {
            FirmName = firmName,
            PayerName = payer?.Name ?? payerId ?? "(unknown payer)",
            ScheduleId = r.ScheduleId,
            ScheduleName = schedule?.Name ?? r.ScheduleId,
            RunDate = r.RunDate,
            AmountAttempted = r.AmountMinor is { } minor && r.Currency is { } currency ? new Money(minor, currency) : null,
            FailureReason = r.FailureReason ?? "The run could not complete.",
            PaymentMethodLabel = method?.DisplayName,
            PaymentMethodLast4 = method?.Last4 is { Length: 4 } last4 && last4.All(char.IsAsciiDigit) ? last4 : null,
        };
    }

    private async Task<(DateTimeZone Zone, string Name)> FirmAsync(string firmId, CancellationToken ct)
    {
        var settings = (await store.GetAsync<FirmSettings>(firmId, "settings", ct).ConfigureAwait(false))?.Value;
        return (settings?.Zone() ?? DateTimeZone.Utc, string.IsNullOrWhiteSpace(settings?.Name) ? firmId : settings.Name);
    }

    private async Task<Stored<RunRecord>> ReadAgainAsync(string firmId, string recordKey, CancellationToken ct) =>
        await store.GetAsync<RunRecord>(firmId, recordKey, ct).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"Run record '{recordKey}' of firm '{firmId}' disappeared.");

    private static bool TryReadRunKey(QueuedMessage message, out RunKey key, out string problem)
    {
        key = default;
        string? text = null;
        if (!message.Body.IsEmpty)
        {
            try
            {
                using var doc = JsonDocument.Parse(message.Body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("runKey", out var value)
                    && value.ValueKind == JsonValueKind.String)
                {
                    text = value.GetString();
                }
            }
            catch (JsonException)
            {
                problem = "The message body is not JSON.";
                return false;
            }

            if (text is null)
            {
                problem = "The message body has no string 'runKey'.";
                return false;
            }
        }
        else
        {
            text = message.MessageId;
        }

        if (!RunKey.TryParse(text, out key))
        {
            problem = $"'{Truncate(text)}' is not a run key 'firmId/scheduleId/yyyy-MM-dd'.";
            return false;
        }

        if (!string.IsNullOrEmpty(message.MessageId) && message.MessageId != text && !message.Body.IsEmpty && RunKey.TryParse(message.MessageId, out _))
        {
            problem = $"The message id '{Truncate(message.MessageId)}' names another run than its body.";
            return false;
        }

        problem = string.Empty;
        return true;
    }

    private static string Truncate(string? text) => text is null ? "(null)" : text.Length <= 120 ? text : text[..120] + "…";

    private sealed record Step(MessageOutcome? Outcome, Stored<RunRecord>? Run)
    {
        public static Step Done(MessageOutcome outcome) => new(outcome, null);

        public static Step Continue(Stored<RunRecord> run) => new(null, run);
    }
}
