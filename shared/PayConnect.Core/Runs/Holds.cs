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

    /// <summary>
    /// Of the captured money, what went back to the payer (refund, lost dispute, ACH return) while this hold stood: it
    /// no longer counts against the invoice (<see cref="HoldRules.Reverse"/>). Never more than <see cref="AmountMinor"/>.
    /// </summary>
    public long ReversedMinor { get; init; }

    /// <summary>What the hold keeps off the invoice once captured: the amount less what went back.</summary>
    public long NetMinor => AmountMinor - ReversedMinor;
}

/// <summary>
/// Money that went back to the payer for a payment whose hold had already ended (the MMS showed the payment), on an
/// invoice that other holds still anchor. It never makes the invoice payable by itself: the MMS shows it by raising the
/// balance. Once the MMS lists its <see cref="Reference"/>, that rise is known to be this reversal and the anchor moves
/// up with it, so the other holds are still judged against payments only.
/// </summary>
public sealed record ReversalCredit(string RunKey, string Reference, long AmountMinor, Instant CreatedAt);

/// <summary>
/// The holds on one invoice since its <see cref="AnchorMinor"/>: the invoice's outstanding balance, as the MMS reported
/// it, when the first of them was made. Every drop of the balance since then is taken to be this system's payments
/// (SPEC §2.3: a hold ends when the balance has fallen by at least its amount since it was read); the holds are judged
/// together, so that two payments on one invoice shown in either order are counted exactly once.
/// </summary>
public sealed record InvoiceHolds(string InvoiceNumber, string MatterNumber, long AnchorMinor, IReadOnlyList<Hold> Holds)
{
    public string InvoiceKey => InvoiceNumber.ToUpperInvariant();

    /// <summary>Reversals of payments the MMS had already shown, waiting to be listed by reference (see <see cref="ReversalCredit"/>).</summary>
    public IReadOnlyList<ReversalCredit> Credits { get; init; } = [];

    /// <summary>
    /// Reversals of holds taken out because the MMS showed their payments, which it may not show yet: they stay in the
    /// anchor, and the balance rising by them is not taken for the remaining holds' payments being undone.
    /// </summary>
    public long CarriedReversedMinor { get; init; }
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

/// <summary>A ledger after <see cref="HoldRules.Reverse"/>, and how much of the reversal came off the run's holds.</summary>
public sealed record Reversal(ClientLedger Ledger, long Released);

/// <summary>An invoice as the MMS reports it now: its outstanding balance and the payment references it lists.</summary>
public sealed record MmsInvoiceState(long OutstandingMinor, IReadOnlySet<string> References);

/// <summary>
/// The hold rules, pure. Of an invoice's holds, the reserved ones (no charge yet) always count in full. Of the captured
/// ones the MMS has shown at least what its balance fell by since the anchor, and at least the ones whose reference or
/// charge id it lists; the rest count. An invoice no longer outstanding in a scope that was read has shown them all.
/// Once every captured hold is shown they are dropped and the anchor moves to the balance now.
/// <para>
/// Money going back (docs/decisions/0034-reversals-release-holds.md): a reversal of a payment whose hold still stands
/// takes its amount off that hold at once (<see cref="Reverse"/>); a captured hold then counts its
/// <see cref="Hold.NetMinor"/>, and the balance change since the anchor is the payments the MMS shows less the
/// reversals it shows, so it may be negative (a reversal recorded before its payment). A reversal of a payment the MMS
/// had already shown changes no hold: its money is owed again only when the MMS shows it, by a higher balance.
/// </para>
/// </summary>
public static class HoldRules
{
    /// <summary>What the invoice's holds keep off its balance now.</summary>
    /// <param name="invoice">The invoice's holds.</param>
    /// <param name="state">The invoice as the MMS reports it; null when it is not outstanding (balance 0).</param>
    /// <param name="exceptRunKey">A run whose own reserved holds are left out (it is re-checking its own allocation).</param>
    public static long Held(InvoiceHolds invoice, MmsInvoiceState? state, string? exceptRunKey = null)
    {
        var reserved = invoice.Holds.Where(h => !h.Captured && h.RunKey != exceptRunKey).Sum(h => h.AmountMinor);
        var captured = invoice.Holds.Where(h => h.Captured).ToList();
        return checked(reserved + Math.Max(0, captured.Sum(h => h.NetMinor) - Shown(invoice, captured, state)));
    }

    /// <summary>
    /// The money captured on each invoice the MMS reported and not yet shown by it, by upper-cased invoice number:
    /// what is paid although the balance does not say so yet. Reservations of unfinished runs are not in it (they may
    /// still fail), so an invoice is paid off only when its balance less this is nothing.
    /// </summary>
    public static Dictionary<string, long> Captured(IEnumerable<ClientLedger> ledgers, IReadOnlyDictionary<string, MmsInvoiceState> invoices)
    {
        var captured = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var invoice in ledgers.SelectMany(l => l.Invoices))
        {
            var holds = invoice.Holds.Where(h => h.Captured).ToList();
            if (invoices.TryGetValue(invoice.InvoiceKey, out var state) && Math.Max(0, holds.Sum(h => h.NetMinor) - Shown(invoice, holds, state)) is var amount and > 0)
            {
                captured[invoice.InvoiceKey] = checked(captured.GetValueOrDefault(invoice.InvoiceKey) + amount);
            }
        }

        return captured;
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

    /// <summary>
    /// Drops a run's reserved holds because its money never landed (declined, stopped, declined by staff). Captured
    /// holds stay: money that was taken goes back only by <see cref="Reverse"/>, which says how much.
    /// </summary>
    public static ClientLedger Release(ClientLedger ledger, string runKey, Instant now)
    {
        if (!ledger.HoldsOf(runKey).Any(h => !h.Captured))
        {
            return ledger;
        }

        var invoices = ledger.Invoices
            .Select(i => i.Holds.Any(h => h.RunKey == runKey && !h.Captured) ? i with { Holds = i.Holds.Where(h => h.RunKey != runKey || h.Captured).ToList() } : i)
            .Where(i => i.Holds.Count > 0)
            .ToList();
        return ledger with { Invoices = invoices, UpdatedAt = now };
    }

    /// <summary>
    /// Money the run took for <paramref name="invoiceNumber"/> went back to the payer (refund, lost dispute, ACH return).
    /// What the run still holds captured on the invoice is reduced by it at once, never below zero, and
    /// <see cref="Reversal.Released"/> says by how much; the rest of the amount (all of it when the MMS had already shown
    /// the payment and the hold is gone) is owed again only when the MMS shows the reversal, so it is left to the balance.
    /// When other holds still anchor the invoice, that rest is kept as a <see cref="ReversalCredit"/> under the reversal's
    /// payment reference, so that the balance rising by it is not taken for their payments being undone.
    /// </summary>
    /// <param name="ledger">The client's ledger.</param>
    /// <param name="runKey">The run whose payment went back.</param>
    /// <param name="invoiceNumber">The invoice it paid.</param>
    /// <param name="amountMinor">How much of it went back on this invoice (positive).</param>
    /// <param name="reference">The payment reference of the reversal posting (the firm records it in the MMS).</param>
    /// <param name="now">When.</param>
    public static Reversal Reverse(ClientLedger ledger, string runKey, string invoiceNumber, long amountMinor, string reference, Instant now)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amountMinor);
        var key = invoiceNumber.ToUpperInvariant();
        var at = ledger.Invoices.ToList().FindIndex(i => i.InvoiceKey == key);
        if (at < 0)
        {
            return new Reversal(ledger, 0);
        }

        var invoice = ledger.Invoices[at];
        var left = amountMinor;
        var holds = new List<Hold>(invoice.Holds.Count);
        foreach (var hold in invoice.Holds.OrderByDescending(h => h.Seq))
        {
            var take = hold.RunKey == runKey && hold.Captured ? Math.Min(left, hold.NetMinor) : 0;
            left -= take;
            holds.Add(take == 0 ? hold : hold with { ReversedMinor = hold.ReversedMinor + take });
        }

        var released = amountMinor - left;
        var next = invoice with { Holds = holds.OrderBy(h => h.Seq).ToList() };
        if (left > 0 && next.Credits.All(c => !string.Equals(c.Reference, reference, StringComparison.OrdinalIgnoreCase)))
        {
            next = next with { Credits = [.. next.Credits, new ReversalCredit(runKey, reference, left, now)] };
        }

        var invoices = ledger.Invoices.ToList();
        invoices[at] = next;
        return new Reversal(ledger with { Invoices = invoices, UpdatedAt = now }, released);
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

    /// <summary>
    /// At least how much of the captured holds' net money the MMS has shown. With no money gone back on the invoice: the
    /// balance drop since the anchor, or the holds it lists by reference, whichever is more. Once money went back, the
    /// balance change alone (with the reversal credits it lists added back): it is exact when the MMS changes only by
    /// our payments and reversals, and negative when the MMS shows a reversal before its payment, while the references
    /// it lists cannot say which reversals it shows already.
    /// </summary>
    private static long Shown(InvoiceHolds invoice, IReadOnlyList<Hold> captured, MmsInvoiceState? state)
    {
        var byBalance = invoice.AnchorMinor + ListedCredits(invoice, state) - (state?.OutstandingMinor ?? 0);
        if (invoice.CarriedReversedMinor > 0 || invoice.Credits.Count > 0 || captured.Any(h => h.ReversedMinor > 0))
        {
            return byBalance;
        }

        var byReference = state is null ? 0 : captured.Where(h => IsListed(h, state)).Sum(h => h.AmountMinor);
        return Math.Max(0, Math.Max(byBalance, byReference));
    }

    private static long ListedCredits(InvoiceHolds invoice, MmsInvoiceState? state) =>
        state is null ? 0 : invoice.Credits.Where(c => state.References.Contains(c.Reference)).Sum(c => c.AmountMinor);

    private static bool IsListed(Hold hold, MmsInvoiceState state) =>
        (hold.Reference is not null && state.References.Contains(hold.Reference)) || (hold.ChargeId is not null && state.References.Contains(hold.ChargeId));

    /// <remarks>
    /// Every hold taken out moves the anchor down by its net money (or less, which only keeps more held), so that what
    /// the balance change says about the holds that stay is unchanged.
    /// </remarks>
    private static InvoiceHolds? Pruned(InvoiceHolds invoice, MmsInvoiceState? state)
    {
        // Reversal credits the MMS lists: the balance rose by them; the anchor rises with it.
        var credits = state is null ? [] : invoice.Credits.Where(c => state.References.Contains(c.Reference)).ToList();
        var next = credits.Count == 0 ? invoice : invoice with
        {
            AnchorMinor = invoice.AnchorMinor + credits.Sum(c => c.AmountMinor),
            Credits = invoice.Credits.Except(credits).ToList(),
        };

        // Listed by reference: their payments are certainly shown, and inside the balance change too; take their net out
        // of both. Their reversals may not be shown yet: they are carried.
        var listed = state is null ? [] : next.Holds.Where(h => h.Captured && IsListed(h, state)).ToList();
        if (listed.Count > 0)
        {
            next = next with
            {
                AnchorMinor = next.AnchorMinor - listed.Sum(h => h.NetMinor),
                CarriedReversedMinor = next.CarriedReversedMinor + listed.Sum(h => h.ReversedMinor),
                Holds = next.Holds.Except(listed).ToList(),
            };
        }

        var captured = next.Holds.Where(h => h.Captured).ToList();
        var outstanding = state?.OutstandingMinor ?? 0;
        var change = next.AnchorMinor - outstanding;
        var gross = captured.Sum(h => h.AmountMinor);
        var reversed = captured.Sum(h => h.ReversedMinor);
        if (captured.Count > 0 && state is null)
        {
            // No longer outstanding in a scope that was read: the MMS shows them all.
            next = next with { AnchorMinor = 0, CarriedReversedMinor = 0, Holds = next.Holds.Where(h => !h.Captured).ToList(), Credits = [] };
        }
        else if (captured.Count > 0 && change >= gross + next.CarriedReversedMinor)
        {
            // The balance fell by every payment and by no reversal: all payments are shown, none of the reversals yet.
            // Keep only the reserved holds; the reversals stay carried in the anchor, so that the balance rising when the
            // MMS shows them is not taken for later payments being undone. A larger drop is someone else's payment,
            // taken for ours.
            var carried = next.CarriedReversedMinor + reversed;
            next = next with { AnchorMinor = outstanding + carried, CarriedReversedMinor = carried, Holds = next.Holds.Where(h => !h.Captured).ToList(), Credits = [] };
        }
        // Otherwise the balance cannot say which payments are shown (a reversal shown may hide a payment that is not): the
        // holds stay, keeping off only what the balance change leaves unexplained, until it can or the MMS lists them.
        // Without holds, an invoice stays only while a carried reversal may still raise the balance.
        var settled = next.Holds.Count == 0 && (state is null || next.CarriedReversedMinor == 0 || next.AnchorMinor <= outstanding);
        return settled ? null : next;
    }
}
