using PayConnect.Postings;
using PayConnect.Runs;

namespace PayConnect.Reversals;

/// <summary>
/// How money going back splits over a run's charge (SPEC §2.3, docs/money-after-the-charge.md), pure. The surcharge gets
/// its proportional share (card rules refund a surcharge with what it was charged on; all of what is left when the rest
/// of the charge goes back); the invoices get the rest, newest invoice first, unless staff name them. Nothing ever goes
/// back beyond what the run put on an invoice less what already went back on it.
/// </summary>
public static class ReversalSplit
{
    /// <summary>
    /// Splits <paramref name="totalMinor"/> (what the gateway returns, surcharge share included) over the run: the
    /// surcharge's share first, then the invoices newest first (the run's lines are oldest first).
    /// </summary>
    /// <returns>The parts (an empty invoice number for the surcharge), or null when more goes back than remains.</returns>
    public static IReadOnlyList<(string Invoice, long Amount)>? OfTotal(RunRecord run, long totalMinor)
    {
        ArgumentNullException.ThrowIfNull(run);
        var remaining = run.ChargeRemaining;
        if (totalMinor <= 0 || totalMinor > remaining)
        {
            return null;
        }

        var surcharge = totalMinor == remaining
            ? run.SurchargeRemaining
            : Math.Min(run.SurchargeRemaining, run.AmountMinor is > 0 ? checked(totalMinor * run.SurchargeMinor) / run.AmountMinor.Value : 0);
        var parts = new List<(string, long)>();
        if (surcharge > 0)
        {
            parts.Add((Posting.SurchargeInvoice, surcharge));
        }

        var left = totalMinor - surcharge;
        foreach (var line in run.Lines.Reverse())
        {
            var take = Math.Min(left, run.RemainingOn(line));
            if (take > 0)
            {
                parts.Add((line.InvoiceNumber, take));
                left -= take;
            }
        }

        return left == 0 ? parts : null;
    }

    /// <summary>
    /// Splits what staff named per invoice (invoice money) and adds the surcharge's proportional share.
    /// </summary>
    /// <returns>The parts, or the errors by invoice (an invoice the run did not pay, or more than remains on it).</returns>
    public static (IReadOnlyList<(string Invoice, long Amount)>? Parts, IReadOnlyList<(int Index, string Error)> Errors) OfInvoices(RunRecord run, IReadOnlyList<(string Invoice, long Amount)> named)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(named);
        var errors = new List<(int, string)>();
        var parts = new List<(string, long)>();
        for (var i = 0; i < named.Count; i++)
        {
            var (invoice, amount) = named[i];
            var line = run.Lines.FirstOrDefault(l => string.Equals(l.InvoiceNumber, invoice, StringComparison.OrdinalIgnoreCase));
            if (line is null)
            {
                errors.Add((i, $"The run did not pay invoice '{invoice}'."));
            }
            else if (named.Take(i).Any(n => string.Equals(n.Invoice, invoice, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add((i, $"Invoice '{invoice}' is named twice."));
            }
            else if (amount <= 0 || amount > run.RemainingOn(line))
            {
                errors.Add((i, $"Must be more than zero and at most what the run paid on it and has not returned ({run.RemainingOn(line)} minor units)."));
            }
            else
            {
                parts.Add((line.InvoiceNumber, amount));
            }
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var invoiceMoney = parts.Sum(p => p.Item2);
        var invoicesRemaining = run.Lines.Sum(run.RemainingOn);
        var paid = run.Lines.Sum(l => l.AmountMinor);
        var surcharge = invoiceMoney == invoicesRemaining
            ? run.SurchargeRemaining
            : Math.Min(run.SurchargeRemaining, paid > 0 ? checked(invoiceMoney * run.SurchargeMinor) / paid : 0);
        if (surcharge > 0)
        {
            parts.Insert(0, (Posting.SurchargeInvoice, surcharge));
        }

        return (parts, []);
    }

    /// <summary>The reversal lines of <paramref name="parts"/>, each with its own payment reference (stable per source and invoice).</summary>
    public static IReadOnlyList<ReversalLine> Lines(RunRecord run, string sourceKey, IReadOnlyList<(string Invoice, long Amount)> parts) =>
        parts.Select(p =>
        {
            var line = p.Invoice.Length == 0 ? null : run.Lines.First(l => string.Equals(l.InvoiceNumber, p.Invoice, StringComparison.OrdinalIgnoreCase));
            return new ReversalLine(p.Invoice, line?.ClientNumber ?? string.Empty, line?.MatterNumber ?? string.Empty, p.Amount,
                PaymentReference.For(run.ReferenceKey + "~" + sourceKey, p.Invoice.Length == 0 ? "SURCHARGE" : p.Invoice));
        }).ToList();
}
