using PayConnect.Allocation;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Runs;
using NodaTime;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>One invoice of a preview: what the run would pay on it, and what is available (owed less every hold).</summary>
public sealed record PreviewLine(string InvoiceNumber, string MatterNumber, long AmountMinor, long AvailableMinor);

/// <summary>What a run of the schedule would charge if it allocated now, and what every invoice in its scopes still owes.</summary>
public sealed record RunPreviewResult(long AmountMinor, string Currency, IReadOnlyList<PreviewLine> Lines, IReadOnlyList<PreviewLine> Available)
{
    public long AvailableMinor => Available.Sum(l => l.AvailableMinor);
}

/// <summary>
/// Previews a run read-only, exactly as the engine would allocate it now: the MMS's outstanding invoices in the
/// schedule's scopes, less the holds in the client ledgers (<see cref="HoldRules"/>), paid oldest first by the pure
/// <see cref="Allocator"/> under the schedule's amount rule (with its make-up). Writes nothing.
/// </summary>
public sealed class RunPreview(RunLedger ledger, IMmsConnector mms, MakeUp makeUp)
{
    /// <exception cref="MmsUnavailableException">The MMS could not be reached.</exception>
    public async Task<RunPreviewResult> PreviewAsync(string firmId, Schedule schedule, LocalDate runDate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var currency = schedule.Currency;
        var scopes = schedule.EnrolledScopes.Select(s => s.ToMmsScope()).ToList();
        if (scopes.Count == 0)
        {
            return new RunPreviewResult(0, currency, [], []);
        }

        var invoices = await mms.OutstandingInvoicesAsync(firmId, scopes, cancellationToken).ConfigureAwait(false);
        var view = invoices.ToDictionary(i => i.Key, i => new MmsInvoiceState(i.OutstandingMinor, i.PaymentReferences.ToHashSet(StringComparer.OrdinalIgnoreCase)), StringComparer.Ordinal);
        var ledgers = await ledger.LedgersAsync(firmId, invoices.Select(i => i.ClientNumber), cancellationToken).ConfigureAwait(false);
        var held = HoldRules.Held(ledgers.Values.Where(l => l is not null).Select(l => l!.Value), view);
        var outstanding = invoices.Select(i => new OutstandingInvoice(i.Key, i.Number, i.ClientNumber, i.MatterNumber, i.InvoiceDate, i.DueDate, new Money(i.OutstandingMinor, i.Currency))).ToList();
        var available = invoices
            .Select(i => new PreviewLine(i.Number, i.MatterNumber, 0, Math.Max(0, i.OutstandingMinor - held.GetValueOrDefault(i.Key))))
            .Where(l => l.AvailableMinor > 0)
            .ToList();

        AmountRule rule = AmountRule.PayAll;
        if (schedule.AmountRule == AmountRuleKind.UpTo)
        {
            var cap = await makeUp.CapAsync(firmId, schedule, runDate, null, cancellationToken).ConfigureAwait(false);
            if (!AmountRule.TryUpTo(new Money(cap, currency), out var upTo, out _))
            {
                return new RunPreviewResult(0, currency, [], available);
            }

            rule = upTo;
        }

        return Allocator.Allocate(currency, outstanding, held.Select(h => new PendingPosting(h.Key, new Money(h.Value, currency))), rule) switch
        {
            AllocationResult.Allocated allocated => new RunPreviewResult(
                allocated.Total.Minor,
                currency,
                allocated.Lines.Select(l => new PreviewLine(l.Invoice.InvoiceNumber, l.Invoice.MatterId, l.Amount.Minor, l.Available.Minor)).ToList(),
                available),
            _ => new RunPreviewResult(0, currency, [], available),
        };
    }
}
