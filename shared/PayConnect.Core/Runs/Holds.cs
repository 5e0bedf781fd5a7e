using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// Money one run has reserved for (or captured against) one invoice that the MMS may not show yet (SPEC §2.3). It
/// counts against the invoice until the MMS shows it or the money goes back to the payer; no posting status set by a
/// person ends it.
/// </summary>
/// <param name="Seq">Order of creation within the client's ledger.</param>
/// <param name="RunKey">The run holding it.</param>
/// <param name="AmountMinor">What the run pays on the invoice.</param>
/// <param name="Currency">The run's currency.</param>
/// <param name="CreatedAt">When the run allocated it.</param>
public sealed record Hold(long Seq, string RunKey, long AmountMinor, string Currency, Instant CreatedAt)
{
    /// <summary>The charge is made (captured or, for ACH, accepted and settling): only now can the MMS show it.</summary>
    public bool Captured { get; init; }

    public string? ChargeId { get; init; }

    /// <summary>The payment reference of the run's posting for this invoice.</summary>
    public string? Reference { get; init; }
}

/// <summary>
/// The holds on one invoice since its <see cref="AnchorMinor"/>: the invoice's outstanding balance, as the MMS reported
/// it, when the first of them was made. Every drop of the balance since then is taken to be this system's payments
/// (SPEC §2.3: a hold ends when the balance has fallen by at least its amount since it was read); the holds are judged
/// together, so that two payments on one invoice shown in either order are counted exactly once.
/// </summary>
public sealed record InvoiceHolds(string InvoiceNumber, string MatterNumber, long AnchorMinor, IReadOnlyList<Hold> Holds)
{
    public string InvoiceKey => InvoiceNumber.ToUpperInvariant();
}

/// <summary>
/// The live holds on one client's invoices: one record per client in the firm's ledger partition, read with a point
/// read and rewritten (ETag-checked) in the same commit as the run that changes it. Runs of different clients never
/// touch the same record; runs that could pay the same invoice always do, so they cannot both spend it.
/// </summary>
public sealed record ClientLedger(string ClientNumber, IReadOnlyList<InvoiceHolds> Invoices, long NextSeq, Instant UpdatedAt) : IFirmRecord
{
    public const string KeyPrefix = "H~";

    public static string Table => LedgerTable.Name;

    public string Key => KeyOf(ClientNumber);

    public static string KeyOf(string clientNumber) => KeyPrefix + clientNumber.ToUpperInvariant();

    public static ClientLedger Empty(string clientNumber, Instant now) => new(clientNumber, [], 1, now);

    public IEnumerable<Hold> HoldsOf(string runKey) => Invoices.SelectMany(i => i.Holds).Where(h => h.RunKey == runKey);
}

/// <summary>An invoice as the MMS reports it now: its outstanding balance and the payment references it lists.</summary>
public sealed record MmsInvoiceState(long OutstandingMinor, IReadOnlySet<string> References);

/// <summary>
/// The hold rules, pure. Of an invoice's holds, the reserved ones (no charge yet) always count in full. Of the captured
/// ones the MMS has shown at least what its balance fell by since the anchor, and at least the ones whose reference or
/// charge id it lists; the rest count. An invoice no longer outstanding in a scope that was read has shown them all.
/// Once every captured hold is shown they are dropped and the anchor moves to the balance now.
/// </summary>
public static class HoldRules
{
    /// <summary>What the invoice's holds keep off its balance now.</summary>
    /// <param name="invoice">The invoice's holds.</param>
    /// <param name="state">The invoice as the MMS reports it; null when it is not outstanding (balance 0).</param>
    /// <param name="exceptRunKey">A run whose own holds are left out (it is re-checking its own allocation).</param>
    public static long Held(InvoiceHolds invoice, MmsInvoiceState? state, string? exceptRunKey = null)
    {
        var holds = invoice.Holds.Where(h => h.RunKey != exceptRunKey).ToList();
        var reserved = holds.Where(h => !h.Captured).Sum(h => h.AmountMinor);
        var captured = holds.Where(h => h.Captured).Sum(h => h.AmountMinor);
        return checked(reserved + Math.Max(0, captured - Shown(invoice.AnchorMinor, holds, state)));
    }

    /// <summary>What the holds keep off each invoice the MMS reported, by upper-cased invoice number.</summary>
    public static Dictionary<string, long> Held(IEnumerable<ClientLedger> ledgers, IReadOnlyDictionary<string, MmsInvoiceState> invoices, string? exceptRunKey = null)
    {
        var held = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var invoice in ledgers.SelectMany(l => l.Invoices))
        {
            if (invoices.TryGetValue(invoice.InvoiceKey, out var state) && Held(invoice, state, exceptRunKey) is var amount and > 0)
            {
                held[invoice.InvoiceKey] = checked(held.GetValueOrDefault(invoice.InvoiceKey) + amount);
            }
        }

        return held;
    }

    /// <summary>
    /// The ledger without what the MMS has shown: captured holds it lists by reference (the anchor moves down by them),
    /// and, once all captured holds of an invoice are shown, all of them (the anchor moves to the balance now). Applies to
    /// invoices the MMS reported and to invoices no longer outstanding although the read covered them.
    /// </summary>
    public static ClientLedger Prune(ClientLedger ledger, IReadOnlyDictionary<string, MmsInvoiceState> invoices, Func<InvoiceHolds, string, bool> covered, Instant now)
    {
        var changed = false;
        var kept = new List<InvoiceHolds>(ledger.Invoices.Count);
        foreach (var invoice in ledger.Invoices)
        {
            var known = invoices.TryGetValue(invoice.InvoiceKey, out var state);
            if (!known && !covered(invoice, ledger.ClientNumber))
            {
                kept.Add(invoice);
                continue;
            }

            var next = Pruned(invoice, state);
            changed |= !ReferenceEquals(next, invoice);
            if (next is not null)
            {
                kept.Add(next);
            }
        }

        return changed ? ledger with { Invoices = kept, UpdatedAt = now } : ledger;
    }

    /// <summary>Adds a run's new holds; an invoice without holds starts anchored at its balance now.</summary>
    public static ClientLedger Add(ClientLedger ledger, string runKey, IEnumerable<(string Invoice, string Matter, long Amount, string Currency, long Outstanding)> lines, Instant now)
    {
        var invoices = ledger.Invoices.ToList();
        var seq = ledger.NextSeq;
        foreach (var line in lines)
        {
            var hold = new Hold(seq++, runKey, line.Amount, line.Currency, now);
            var at = invoices.FindIndex(i => i.InvoiceKey == line.Invoice.ToUpperInvariant());
            if (at < 0)
            {
                invoices.Add(new InvoiceHolds(line.Invoice, line.Matter, line.Outstanding, [hold]));
            }
            else
            {
                invoices[at] = invoices[at] with { Holds = [.. invoices[at].Holds, hold] };
            }
        }

        return seq == ledger.NextSeq ? ledger : ledger with { Invoices = invoices, NextSeq = seq, UpdatedAt = now };
    }

    /// <summary>Drops a run's holds because its money never landed or went back (declined, stopped, refunded).</summary>
    public static ClientLedger Release(ClientLedger ledger, string runKey, Instant now)
    {
        if (!ledger.HoldsOf(runKey).Any())
        {
            return ledger;
        }

        var invoices = ledger.Invoices
            .Select(i => i.Holds.Any(h => h.RunKey == runKey) ? i with { Holds = i.Holds.Where(h => h.RunKey != runKey).ToList() } : i)
            .Where(i => i.Holds.Count > 0)
            .ToList();
        return ledger with { Invoices = invoices, UpdatedAt = now };
    }

    /// <summary>The run's charge is made: its holds can now be shown by the MMS (by reference, charge id or balance).</summary>
    public static ClientLedger Capture(ClientLedger ledger, string runKey, string chargeId, IReadOnlyDictionary<string, string> referenceByInvoice, Instant now)
    {
        if (!ledger.HoldsOf(runKey).Any(h => !h.Captured))
        {
            return ledger;
        }

        return ledger with
        {
            Invoices = ledger.Invoices.Select(i => i with
            {
                Holds = i.Holds.Select(h => h.RunKey != runKey || h.Captured ? h : h with
                {
                    Captured = true,
                    ChargeId = chargeId,
                    Reference = referenceByInvoice.GetValueOrDefault(i.InvoiceKey),
                }).ToList(),
            }).ToList(),
            UpdatedAt = now,
        };
    }

    /// <summary>How much of the captured holds the MMS has shown: the balance drop since the anchor, or what it lists by reference.</summary>
    private static long Shown(long anchor, IReadOnlyList<Hold> holds, MmsInvoiceState? state)
    {
        var byBalance = anchor - (state?.OutstandingMinor ?? 0);
        var byReference = state is null ? 0 : holds.Where(h => h.Captured && IsListed(h, state)).Sum(h => h.AmountMinor);
        return Math.Max(0, Math.Max(byBalance, byReference));
    }

    private static bool IsListed(Hold hold, MmsInvoiceState state) =>
        (hold.Reference is not null && state.References.Contains(hold.Reference)) || (hold.ChargeId is not null && state.References.Contains(hold.ChargeId));

    private static InvoiceHolds? Pruned(InvoiceHolds invoice, MmsInvoiceState? state)
    {
        // Listed by reference: certainly shown, and inside the balance drop too; take them out of both.
        var listed = state is null ? [] : invoice.Holds.Where(h => h.Captured && IsListed(h, state)).ToList();
        var next = listed.Count == 0 ? invoice : invoice with
        {
            AnchorMinor = invoice.AnchorMinor - listed.Sum(h => h.AmountMinor),
            Holds = invoice.Holds.Except(listed).ToList(),
        };

        var captured = next.Holds.Where(h => h.Captured).Sum(h => h.AmountMinor);
        var outstanding = state?.OutstandingMinor ?? 0;
        if (captured > 0 && captured <= next.AnchorMinor - outstanding)
        {
            // Every captured hold is shown: keep only the reserved ones, anchored at the balance now.
            next = next with { AnchorMinor = outstanding, Holds = next.Holds.Where(h => !h.Captured).ToList() };
        }

        return next.Holds.Count == 0 ? null : next;
    }
}
