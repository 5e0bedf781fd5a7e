using FluentValidation;
using NodaTime;
using NodaTime.Text;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>A run as the API shows it: what it allocated, charged and why it stopped. Never the payment token.</summary>
/// <param name="RunKey">firmId/scheduleId/yyyy-MM-dd.</param>
/// <param name="ScheduleId">The schedule.</param>
/// <param name="RunDate">The occurrence date, in the firm's time zone.</param>
/// <param name="State">Allocated, AwaitingApproval, Charged, Posted, NothingDue, AwaitingRetry, Failed, Skipped or Returned.</param>
/// <param name="Attempt">The charge attempt (1, or more after soft declines).</param>
/// <param name="Lines">The invoices the run pays, oldest first, with each payment reference.</param>
/// <param name="AmountMinor">The run's charge, in minor units.</param>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="ChargeId">The gateway's id of the charge.</param>
/// <param name="SettlementPending">The charge is accepted but settles later (ACH).</param>
/// <param name="FailureCode">Why it failed or was skipped (decline code, mms_unavailable, paused...).</param>
/// <param name="FailureReason">The same, for people.</param>
/// <param name="SkippedBy">Who stopped it, when a person did.</param>
/// <param name="RetryOn">After a soft decline: when the next attempt runs.</param>
/// <param name="ParkedUntil">While the gateway could not confirm the charge: when it is checked again.</param>
/// <param name="Approval">Why it waits for approval, and what staff decided.</param>
/// <param name="Events">Every attempt and everything that held the run up, oldest first.</param>
/// <param name="PayerId">The payer.</param>
/// <param name="PaymentMethodId">The payment method charged.</param>
/// <param name="BankAccountId">The deposit account.</param>
/// <param name="CreatedAt">When the run was first recorded.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="SurchargeMinor">The card surcharge charged on top of the invoices (its own line and posting; no invoice's money).</param>
/// <param name="SettledAt">When the bank (ACH) debit settled.</param>
/// <param name="Presentment">How many times a returned bank debit was presented again (0 for the original).</param>
/// <param name="Refunds">Refunds of the charge, with how each splits over the invoices.</param>
/// <param name="Dispute">The dispute (chargeback) of the charge, if any.</param>
/// <param name="Returns">Returns of the bank debit (NACHA code) and whether it is presented again.</param>
public sealed record RunView(
    string RunKey,
    string ScheduleId,
    LocalDate RunDate,
    RunState State,
    int Attempt,
    IReadOnlyList<RunLine> Lines,
    long? AmountMinor,
    string? Currency,
    string? ChargeId,
    bool SettlementPending,
    string? FailureCode,
    string? FailureReason,
    string? SkippedBy,
    LocalDate? RetryOn,
    Instant? ParkedUntil,
    RunApproval? Approval,
    IReadOnlyList<RunEvent> Events,
    string? PayerId,
    string? PaymentMethodId,
    string? BankAccountId,
    Instant CreatedAt,
    Instant UpdatedAt,
    long SurchargeMinor,
    Instant? SettledAt,
    int Presentment,
    IReadOnlyList<RunRefund> Refunds,
    RunDispute? Dispute,
    IReadOnlyList<RunReturn> Returns) : IExample<RunView>
{
    public static RunView Example => new(
        "smith-jones/as_0195f1c2a3b4/2026-03-02", "as_0195f1c2a3b4", new LocalDate(2026, 3, 2), RunState.Posted, 1,
        [new RunLine("INV-1001", "C-100", "M-100-1", 120000, 120000, "PC-7KQ2MZ9WXA")], 120000, "USD", "pi_3Pq1", false,
        null, null, null, null, null, null, [new RunEvent(Instant.FromUtc(2026, 3, 2, 15, 0), "Charged", null, "Charge approved.", 120000, 1)],
        "py_0195f1c2a3b4", "pm_0195f1c2a3b4", "ba_0195f1c2a3b4", Instant.FromUtc(2026, 3, 2, 15, 0), Instant.FromUtc(2026, 3, 2, 15, 0),
        0, null, 0,
        [new RunRefund("refund/5f0c2d1e9a8b7c6d5f0c2d1e9a8b7c6d", 10000, RefundStatus.Succeeded, Instant.FromUtc(2026, 3, 9, 15, 0))
        {
            RefundId = "re_3Pq1",
            RequestedBy = "staff@smith-jones.example",
            Reason = "Billed twice for the March hearing.",
            Lines = [new ReversalLine("INV-1001", "C-100", "M-100-1", 10000, "PC-4HX8RQ2MWA") { ReleasedMinor = 10000 }],
            Reversed = true,
        }],
        null, []);

    public static RunView Of(RunRecord r) => new(
        r.RunKey, r.ScheduleId, r.RunDate, r.State, r.Attempt, r.Lines, r.AmountMinor, r.Currency, r.ChargeId, r.SettlementPending,
        r.FailureCode, r.FailureReason, r.SkippedBy, r.RetryOn, r.ParkedUntil, r.Approval, r.Events,
        r.Snapshot?.PayerId, r.Snapshot?.PaymentMethodId, r.Snapshot?.BankAccountId, r.CreatedAt, r.UpdatedAt,
        r.SurchargeMinor, r.SettledAt, r.Presentment, r.Refunds, r.Dispute, r.Returns);
}

/// <summary>
/// Runs through the API: read one, list a schedule's runs or the approval queue, and approve or decline a run waiting
/// for approval (SPEC §1 Approval ceiling). Approval re-checks every line against the MMS and the holds now, so a run
/// approved days later never pays what has been paid meanwhile.
/// </summary>
public sealed class RunHandlers(IRecordStore store, RunLedger ledger, IMmsConnector mms, RunRetries retries, IRunQueue queue, LedgerMigration migration, RunFollowUp followUp, IClock clock)
{
    public const int MaxReasonLength = 250;

    public async Task<ApiResult> GetAsync(string firmId, string scheduleId, string date, CancellationToken ct)
    {
        var (errors, runDate) = Validate(scheduleId, date);
        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        await migration.EnsureAsync(firmId, ct);
        var run = await ledger.RunAsync(firmId, scheduleId, runDate, ct);
        return run is null ? new ApiResult.NotFound($"No run of schedule '{scheduleId}' on {date}.") : new ApiResult.Ok(RunView.Of(run.Value), run.ETag);
    }

    /// <summary>The approval queue (<c>state=AwaitingApproval</c>) or one schedule's runs, optionally of one state.</summary>
    public async Task<ApiResult> ListAsync(string firmId, string? scheduleId, string? state, Paging paging, CancellationToken ct)
    {
        var errors = new FieldErrors();
        RunState? wanted = null;
        if (!string.IsNullOrEmpty(state))
        {
            if (!int.TryParse(state, out _) && Enum.TryParse<RunState>(state, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
            {
                wanted = parsed;
            }
            else
            {
                errors.Add("state", $"Must be one of: {string.Join(", ", Enum.GetNames<RunState>())}.");
            }
        }

        if (!string.IsNullOrEmpty(scheduleId) && !Ids.IsWellFormed(scheduleId))
        {
            errors.Add("scheduleId", "Is not a valid id.");
        }
        else if (string.IsNullOrEmpty(scheduleId) && wanted != RunState.AwaitingApproval && !errors.Any)
        {
            errors.Add("scheduleId", "Is required unless state is AwaitingApproval.");
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        await migration.EnsureAsync(firmId, ct);
        if (string.IsNullOrEmpty(scheduleId))
        {
            var queued = await ledger.AwaitingApprovalAsync(firmId, paging.PageSize, paging.Continuation, ct);
            var runs = new List<RunView>();
            foreach (var entry in queued.Items)
            {
                if (await ledger.RunAsync(firmId, entry.Value.ScheduleId, entry.Value.RunDate, ct) is { Value.State: RunState.AwaitingApproval } run)
                {
                    runs.Add(RunView.Of(run.Value));
                }
            }

            return new ApiResult.Ok(new Page<RunView>(runs, queued.Continuation));
        }

        var page = await ledger.RunsAsync(firmId, scheduleId, paging.PageSize, paging.Continuation, r => wanted is null || r.State == wanted, ct);
        return new ApiResult.Ok(Page<RunView>.From(page, RunView.Of));
    }

    /// <summary>Approves a run waiting for approval: its lines are re-checked against what is available now, then it is charged.</summary>
    public async Task<ApiResult> ApproveAsync(string firmId, string scheduleId, string date, string by, string? ifMatch, CancellationToken ct)
    {
        var (errors, runDate) = Validate(scheduleId, date);
        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        await migration.EnsureAsync(firmId, ct);
        var run = await ledger.RunAsync(firmId, scheduleId, runDate, ct);
        if (run is null)
        {
            return new ApiResult.NotFound($"No run of schedule '{scheduleId}' on {date}.");
        }

        if (ifMatch is not null && ifMatch != run.ETag)
        {
            return ApiResult.StaleETag();
        }

        if (run.Value.State != RunState.AwaitingApproval)
        {
            return new ApiResult.Conflict($"The run is {run.Value.State}; only a run awaiting approval can be approved.", FieldErrors.One("state", $"Is {run.Value.State}."));
        }

        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct);
        if (RunAllocator.StopReason(schedule?.Value, run.Value) is { } stop)
        {
            return new ApiResult.Conflict($"The run cannot be approved: {stop.Why} Decline it instead.");
        }

        IReadOnlyList<MmsInvoice> invoices;
        try
        {
            invoices = await mms.OutstandingInvoicesAsync(firmId, schedule!.Value.EnrolledScopes.Select(s => s.ToMmsScope()).ToList(), ct);
        }
        catch (MmsUnavailableException ex)
        {
            return new ApiResult.DependencyUnavailable($"The matter management system could not be reached to re-check the run; nothing was changed: {ex.Message}");
        }

        var view = invoices.ToDictionary(i => i.Key, i => new MmsInvoiceState(i.OutstandingMinor, i.PaymentReferences.ToHashSet(StringComparer.OrdinalIgnoreCase)), StringComparer.Ordinal);
        for (var round = 0; round < 8; round++)
        {
            var now = clock.GetCurrentInstant();
            var ledgers = await ledger.LedgersAsync(firmId, run.Value.Lines.Select(l => l.ClientNumber), ct);
            var held = HoldRules.Held(ledgers.Values.Where(l => l is not null).Select(l => l!.Value), view, run.Value.RunKey);
            var lines = run.Value.Lines
                .Select(l => l with
                {
                    AmountMinor = Math.Min(l.AmountMinor, view.TryGetValue(l.InvoiceNumber.ToUpperInvariant(), out var invoice)
                        ? Math.Max(0, invoice.OutstandingMinor - held.GetValueOrDefault(l.InvoiceNumber.ToUpperInvariant()))
                        : 0),
                })
                .Where(l => l.AmountMinor > 0)
                .ToList();
            var approved = run.Value.Approve(by, lines, now);
            var writes = new List<RecordWrite> { RecordWrite.Replace(approved, run.ETag) };
            foreach (var (client, stored) in ledgers)
            {
                if (stored is null)
                {
                    continue;
                }

                var mine = lines.Where(l => l.ClientNumber.Equals(client, StringComparison.OrdinalIgnoreCase)).ToList();
                var next = HoldRules.Add(
                    HoldRules.Release(stored.Value, run.Value.RunKey, now),
                    run.Value.RunKey,
                    mine.Select(l => (l.InvoiceNumber, l.MatterNumber, l.AmountMinor, run.Value.Currency!, view[l.InvoiceNumber.ToUpperInvariant()].OutstandingMinor)),
                    now);
                writes.Add(RecordWrite.Replace(next, stored.ETag));
            }

            writes.Add(RecordWrite.Delete<ApprovalQueueEntry>(ApprovalQueueEntry.KeyOf(scheduleId, runDate), null));
            try
            {
                var etags = await ledger.CommitAsync(firmId, writes, ct);
                if (approved.State == RunState.Allocated)
                {
                    await SendAsync(firmId, approved, now, ct);
                }
                else
                {
                    await FinishedAsync(firmId, new Stored<RunRecord>(approved, etags[0]!), ct);
                }

                return new ApiResult.Ok(RunView.Of(approved), etags[0]);
            }
            catch (ConcurrencyException ex) when (ex.FailedIndex is > 0 && ex.FailedIndex < writes.Count - 1)
            {
                // Another run changed one of these clients' holds: check the lines again.
            }
            catch (ConcurrencyException)
            {
                return ApiResult.StaleETag();
            }
        }

        return new ApiResult.Conflict("Other runs kept changing the same invoices; try again.");
    }

    /// <summary>Declines a run waiting for approval: it is skipped (who and why recorded) and its holds released.</summary>
    public async Task<ApiResult> DeclineAsync(string firmId, string scheduleId, string date, DeclineRunRequest request, string by, string? ifMatch, CancellationToken ct)
    {
        var reason = request.Reason;
        var (errors, runDate) = Validate(scheduleId, date);
        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        await migration.EnsureAsync(firmId, ct);
        var run = await ledger.RunAsync(firmId, scheduleId, runDate, ct);
        if (run is null)
        {
            return new ApiResult.NotFound($"No run of schedule '{scheduleId}' on {date}.");
        }

        if (ifMatch is not null && ifMatch != run.ETag)
        {
            return ApiResult.StaleETag();
        }

        if (run.Value.State != RunState.AwaitingApproval)
        {
            return new ApiResult.Conflict($"The run is {run.Value.State}; only a run awaiting approval can be declined.", FieldErrors.One("state", $"Is {run.Value.State}."));
        }

        try
        {
            var declined = await ledger.ReleaseAsync(firmId, run, run.Value.DeclineApproval(by, reason, clock.GetCurrentInstant()), clock.GetCurrentInstant, 8, ct);
            await FinishedAsync(firmId, declined, ct);
            return new ApiResult.Ok(RunView.Of(declined.Value), declined.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    /// <summary>A staff decision finished the run: if it was the schedule's last, the schedule ends (SPEC §1 Lifetime).</summary>
    private async Task FinishedAsync(string firmId, Stored<RunRecord> run, CancellationToken ct)
    {
        var key = new RunKey(firmId, run.Value.ScheduleId, run.Value.RunDate);
        await followUp.CompleteScheduleAsync(new RunContext(key, new RunMessage(key.Format()), 1), run, ct);
    }

    /// <summary>The approved run goes to the queue now; the retry index brings it too if this send is lost.</summary>
    private async Task SendAsync(string firmId, RunRecord run, Instant now, CancellationToken ct)
    {
        var entry = new RunRetryEntry(firmId, run.RunKey, run.Attempt, now);
        await retries.ScheduleAsync(entry, ct);
        try
        {
            await queue.SendRetriesAsync([entry], ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The fan-out sends the entry on its next tick.
        }
    }

    private static (FieldErrors Errors, LocalDate Date) Validate(string scheduleId, string date)
    {
        var errors = new FieldErrors();
        if (!Ids.IsWellFormed(scheduleId))
        {
            errors.Add("scheduleId", "Is not a valid id.");
        }

        var parsed = LocalDatePattern.Iso.Parse(date);
        if (!parsed.Success)
        {
            errors.Add("date", "Must be a date in the form yyyy-MM-dd.");
        }

        return (errors, parsed.Success ? parsed.Value : default);
    }
}

/// <summary>Declines a run waiting for approval.</summary>
/// <param name="Reason">Why, for the run's record (at most 250 characters).</param>
public sealed record DeclineRunRequest(string Reason) : IExample<DeclineRunRequest>
{
    public static DeclineRunRequest Example => new("The client pays this month by cheque.");
}

public sealed class DeclineRunRequestValidator : RequestValidator<DeclineRunRequest>
{
    public DeclineRunRequestValidator() => RuleFor(x => x.Reason).Text(RunHandlers.MaxReasonLength).NoCardNumber();
}
