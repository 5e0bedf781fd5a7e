using System.Security.Cryptography;
using System.Text;
using FluentValidation;
using Microsoft.Extensions.Logging;
using NodaTime.Text;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Payments;
using PayConnect.Postings;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Reversals;

/// <summary>Refunds all or part of a run's charge. Leave out both amount and invoices to refund everything that has not gone back.</summary>
/// <param name="Amount">What goes back to the payer (major units, surcharge share included), split newest invoice first.</param>
/// <param name="Invoices">Or: how much of each named invoice's payment goes back (major units); the surcharge's share is added.</param>
/// <param name="Reason">Why, for the run's record.</param>
public sealed record RefundRunRequest(decimal? Amount = null, IReadOnlyList<RefundInvoice>? Invoices = null, string? Reason = null) : IExample<RefundRunRequest>
{
    public const int MaxInvoices = 100;

    public static RefundRunRequest Example => new(Invoices: [new RefundInvoice("INV-1002", 100.00m)], Reason: "Billed twice for the March hearing.");
}

/// <summary>One invoice of a run and how much of what the run paid on it goes back.</summary>
/// <param name="InvoiceNumber">An invoice the run paid.</param>
/// <param name="Amount">Major units, at most what the run paid on it and has not returned.</param>
public sealed record RefundInvoice(string InvoiceNumber, decimal Amount);

public sealed class RefundRunRequestValidator : RequestValidator<RefundRunRequest>
{
    public RefundRunRequestValidator()
    {
        RuleFor(x => x.Amount).GreaterThan(0).WithMessage("Must be more than zero.");
        RuleFor(x => x.Invoices).Items(1, RefundRunRequest.MaxInvoices);
        RuleForEach(x => x.Invoices).SetValidator(new RefundInvoiceValidator());
        RuleFor(x => x.Reason).Text(RunHandlers.MaxReasonLength).NoCardNumber();
        RuleFor(x => x.Invoices).Null().When(x => x.Amount is not null).WithMessage("Give either amount or invoices, not both.");
    }
}

public sealed class RefundInvoiceValidator : RequestValidator<RefundInvoice>
{
    public RefundInvoiceValidator()
    {
        RuleFor(x => x.InvoiceNumber).Text(64);
        RuleFor(x => x.Amount).GreaterThan(0).WithMessage("Must be more than zero.");
    }
}

/// <summary>
/// Staff refunds of a run's charge (docs/money-after-the-charge.md): split newest invoice first unless staff name the
/// invoices, recorded on the run before the money moves, sent to the gateway with its own idempotency key (derived from
/// the request's Idempotency-Key, so a retried request reaches the same refund), and reversed — postings per invoice,
/// holds released — in one commit once the gateway says the money went back. The gateway's own events about the refund
/// find it by that key and change nothing more.
/// </summary>
public sealed class RefundHandlers(
    RunLedger ledger,
    IPaymentGateway gateway,
    LedgerMigration migration,
    GatewayEventHandler events,
    NodaTime.IClock clock,
    ILogger<RefundHandlers> logger)
{
    public async Task<ApiResult> RefundAsync(string firmId, string scheduleId, string date, RefundRunRequest request, string by, string? idempotencyKey, CancellationToken ct)
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

        if (string.IsNullOrWhiteSpace(idempotencyKey))
        {
            errors.Add("Idempotency-Key", "Is required: a refund moves money, and a retried request must not move it twice.");
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        await migration.EnsureAsync(firmId, ct);
        var key = "refund/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(firmId + "|" + scheduleId + "|" + date + "|" + idempotencyKey)))[..32];
        for (var round = 0; round < 8; round++)
        {
            var stored = await ledger.RunAsync(firmId, scheduleId, parsed.Value, ct);
            if (stored is null)
            {
                return new ApiResult.NotFound($"No run of schedule '{scheduleId}' on {date}.");
            }

            var run = stored.Value;
            var refund = run.Refunds.FirstOrDefault(r => r.Key == key);
            if (refund is null)
            {
                if (Refusal(run) is { } refused)
                {
                    return refused;
                }

                var split = Split(run, request);
                if (split.Errors is not null)
                {
                    return split.Errors;
                }

                var parts = split.Parts!;
                refund = new RunRefund(key, parts.Sum(p => p.Amount), RefundStatus.Requested, clock.GetCurrentInstant())
                {
                    RequestedBy = by,
                    Reason = request.Reason,
                    Lines = ReversalSplit.Lines(run, "refund:" + key, parts),
                };
                try
                {
                    await ledger.CommitAsync(firmId, [RecordWrite.Replace(run.RefundRecorded(refund, clock.GetCurrentInstant()), stored.ETag)], ct);
                }
                catch (ConcurrencyException)
                {
                    continue;
                }
            }

            if (refund.Status is RefundStatus.Failed or RefundStatus.Canceled)
            {
                return new ApiResult.Conflict($"The gateway did not make this refund ({refund.Status}).", FieldErrors.One("refund", $"Is {refund.Status}."));
            }

            return refund.Status == RefundStatus.Requested
                ? await SendAsync(firmId, scheduleId, parsed.Value, refund, ct)
                : await CreatedAsync(firmId, scheduleId, parsed.Value, ct);
        }

        return new ApiResult.Conflict("The run kept changing; try again.");
    }

    /// <summary>Asks the gateway for the recorded refund (same key every time), then records its answer like the gateway's own event.</summary>
    private async Task<ApiResult> SendAsync(string firmId, string scheduleId, NodaTime.LocalDate runDate, RunRefund refund, CancellationToken ct)
    {
        var run = (await ledger.RunAsync(firmId, scheduleId, runDate, ct))!.Value;
        RefundResult result;
        try
        {
            result = await gateway.RefundAsync(
                new RefundRequest(refund.Key, run.ChargeId!, new Money(refund.AmountMinor, run.Currency!),
                    new DepositAccount(run.Snapshot!.BankAccountId, run.Snapshot.DepositKind, run.Snapshot.ConnectedAccountId), run.RunKey),
                ct);
        }
        catch (Exception ex) when (ex is GatewayUnavailableException or GatewayConfigurationException)
        {
            logger.LogWarning("Refund {RefundKey} of run {RunKey} is not confirmed yet: {Reason}", refund.Key, run.RunKey, ex.Message);
            return new ApiResult.DependencyUnavailable("The gateway did not confirm the refund; send the same request again (same Idempotency-Key) to finish it: " + ex.Message);
        }
        catch (RefundRefusedException ex)
        {
            logger.LogWarning("Refund {RefundKey} of run {RunKey} was refused: {Reason}", refund.Key, run.RunKey, ex.Message);
            await RecordAsync(firmId, new RefundChanged("api-" + refund.Key.Replace('/', '-'), run.ChargeId!, clock.GetCurrentInstant(), "refused-" + refund.Key[7..],
                new Money(refund.AmountMinor, run.Currency!), GatewayRefundStatus.Failed, refund.Key), ct);
            return new ApiResult.Conflict("The gateway refused the refund: " + ex.Message);
        }

        await RecordAsync(firmId, new RefundChanged("api-" + result.RefundId + "-" + result.Status, run.ChargeId!, clock.GetCurrentInstant(), result.RefundId,
            new Money(refund.AmountMinor, run.Currency!), result.Status, refund.Key), ct);
        return await CreatedAsync(firmId, scheduleId, runDate, ct);
    }

    /// <summary>The gateway's answer goes through the same path as its events: judged by state, recorded once.</summary>
    private Task RecordAsync(string firmId, RefundChanged answer, CancellationToken ct) =>
        events.HandleAsync("api", answer, ct);

    /// <summary>The run with its refund, as created (the same answer for a repeat of the request).</summary>
    private async Task<ApiResult> CreatedAsync(string firmId, string scheduleId, NodaTime.LocalDate runDate, CancellationToken ct)
    {
        var run = await ledger.RunAsync(firmId, scheduleId, runDate, ct);
        return run is null
            ? new ApiResult.NotFound("The run is gone.")
            : new ApiResult.Created($"/api/firms/{firmId}/runs/{scheduleId}/{LocalDatePattern.Iso.Format(runDate)}", RunView.Of(run.Value), run.ETag);
    }

    private static ApiResult? Refusal(RunRecord run)
    {
        if (run.State != RunState.Posted || run.ChargeId is null)
        {
            return new ApiResult.Conflict($"The run is {run.State}; only a posted run's charge can be refunded.", FieldErrors.One("state", $"Is {run.State}."));
        }

        if (run.SettlementPending)
        {
            return new ApiResult.Conflict("The bank debit has not settled yet; it can be refunded once it has.", FieldErrors.One("settlementPending", "Is true."));
        }

        if (run.Dispute is { Status: DisputeStatus.Open or DisputeStatus.Lost })
        {
            return new ApiResult.Conflict($"The charge is disputed ({run.Dispute.Status}); the card issuer decides where its money goes.", FieldErrors.One("dispute", $"Is {run.Dispute.Status}."));
        }

        return run.ChargeRemaining <= 0
            ? new ApiResult.Conflict("Everything the run charged has gone back already.", FieldErrors.One("amount", "Nothing is left to refund."))
            : null;
    }

    private static (IReadOnlyList<(string Invoice, long Amount)>? Parts, ApiResult? Errors) Split(RunRecord run, RefundRunRequest request)
    {
        var currency = run.Currency!;
        if (request.Invoices is { } invoices)
        {
            var errors = new FieldErrors();
            var named = new List<(string, long)>();
            for (var i = 0; i < invoices.Count; i++)
            {
                if (!Currencies.TryToMinor(invoices[i].Amount, currency, out var minor))
                {
                    errors.Add($"invoices[{i}].amount", $"Has more decimals than {currency} has.");
                }

                named.Add((invoices[i].InvoiceNumber, minor));
            }

            if (errors.Any)
            {
                return (null, new ApiResult.Invalid(errors));
            }

            var (parts, problems) = ReversalSplit.OfInvoices(run, named);
            if (parts is null)
            {
                foreach (var (index, error) in problems)
                {
                    errors.Add($"invoices[{index}]", error);
                }

                return (null, new ApiResult.Invalid(errors));
            }

            return (parts, null);
        }

        var total = run.ChargeRemaining;
        if (request.Amount is { } amount)
        {
            if (!Currencies.TryToMinor(amount, currency, out total))
            {
                return (null, new ApiResult.Invalid(FieldErrors.One("amount", $"Has more decimals than {currency} has.")));
            }
        }

        return ReversalSplit.OfTotal(run, total) is { } split
            ? (split, null)
            : (null, new ApiResult.Invalid(FieldErrors.One("amount", $"Must be at most what the run charged and has not gone back ({Currencies.Format(new Money(run.ChargeRemaining, currency))}).")));
    }
}
