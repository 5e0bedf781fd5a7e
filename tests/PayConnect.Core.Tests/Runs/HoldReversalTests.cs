using CsCheck;
using NodaTime;
using PayConnect.Runs;

namespace PayConnect.Tests.Runs;

/// <summary>
/// Money going back to the payer (refund, lost dispute, ACH return) and the holds (SPEC §2.3): what a run still holds
/// on the invoice is released by the reversal at once; a reversal of a payment the MMS already showed is owed again
/// only when the MMS shows it; never more than the run holds is released.
/// </summary>
public class HoldReversalTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 2, 15, 0);

    [Fact]
    public void ReversalWhileTheHoldStands_ReleasesItsAmountAtOnce()
    {
        var ledger = Captured(Add(Empty(), "r1", 300, outstanding: 1000), "r1");

        var reversal = HoldRules.Reverse(ledger, "r1", "INV-1", 120, "PC-R1", Now);

        Assert.Equal(120, reversal.Released);
        Assert.Equal(180, Held(reversal.Ledger, State(1000)));
    }

    [Fact]
    public void Reversal_NeverReleasesMoreThanTheRunHolds()
    {
        var ledger = Captured(Add(Add(Empty(), "r1", 300, outstanding: 1000), "r2", 200, outstanding: 1000), "r1", "r2");

        var reversal = HoldRules.Reverse(ledger, "r1", "INV-1", 500, "PC-R1", Now);

        Assert.Equal(300, reversal.Released);
        Assert.Equal(200, Held(reversal.Ledger, State(1000)));
    }

    [Fact]
    public void ReversalOfAPaymentTheMmsAlreadyShowed_ReleasesNothing_TheMoneyIsOwedAgainWhenTheMmsShowsTheReversal()
    {
        // r1's payment of 300 is shown (balance 700) and pruned; r2 then holds 100 captured against 700.
        var ledger = Captured(Add(Empty(), "r1", 300, outstanding: 1000), "r1");
        ledger = HoldRules.Prune(ledger, View(700), (_, _) => true, Now);
        Assert.Empty(ledger.Invoices);
        ledger = Captured(Add(ledger, "r2", 100, outstanding: 700), "r2");

        var reversal = HoldRules.Reverse(ledger, "r1", "INV-1", 300, "PC-R1", Now);

        Assert.Equal(0, reversal.Released);
        Assert.Equal(100, Held(reversal.Ledger, State(700)));

        // The MMS records the reversal (balance up to 1000) and r2's payment (down to 900), listing the reversal.
        Assert.Equal(0, Held(reversal.Ledger, State(900, "PC-R1")));
        Assert.Empty(HoldRules.Prune(reversal.Ledger, View(900, "PC-R1"), (_, _) => true, Now).Invoices);
    }

    [Fact]
    public void ReversalShownByTheMmsBeforeItsPayment_KeepsTheWholePaymentHeld()
    {
        var ledger = Captured(Add(Empty(), "r1", 300, outstanding: 1000), "r1");
        var reversal = HoldRules.Reverse(ledger, "r1", "INV-1", 100, "PC-R1", Now);

        // The MMS shows the reversal (+100) but not the payment yet: all 300 are still in flight.
        Assert.Equal(300, Held(reversal.Ledger, State(1100)));

        // Both shown: nothing is held. The balance alone cannot tell this from a payment not shown hiding behind a
        // reversal that is, so the hold stays (keeping nothing off) until the MMS lists the payment.
        Assert.Equal(0, Held(reversal.Ledger, State(800)));
        Assert.Equal(0, Held(HoldRules.Prune(reversal.Ledger, View(800), (_, _) => true, Now), State(800)));
        Assert.Empty(HoldRules.Prune(reversal.Ledger, View(800, "PC-r1"), (_, _) => true, Now).Invoices);
    }

    [Fact]
    public void Release_DropsOnlyReservedHolds_CapturedMoneyGoesBackOnlyByReversal()
    {
        var ledger = Captured(Add(Empty(), "r1", 300, outstanding: 1000), "r1");
        ledger = Add(ledger, "r1", 50, outstanding: 1000);

        var released = HoldRules.Release(ledger, "r1", Now);

        Assert.Equal(300, Held(released, State(1000)));
    }

    /// <summary>
    /// Random lifetimes of one invoice with money going back: runs allocate what the rules say is available, charge or
    /// are declined; captured payments are refunded in parts; the MMS records payments and reversals late, in any order
    /// (a reversal even before its payment), by reference or by balance only. After every step the engine's available
    /// balance never exceeds what is truly owed (the total less all captured money plus all money that went back), and
    /// once the MMS shows everything, listing it, nothing stays held.
    /// </summary>
    [Fact]
    public void AvailableNeverExceedsWhatIsTrulyOwed_OnceReversalsCount_WhateverOrderTheMmsShowsThingsIn()
    {
        Gen.Select(Gen.Long[1, 200_000], Gen.Select(Gen.Int[0, 6], Gen.Int[0, 100_000], Gen.Bool).Array[1, 50])
            .Sample((total, steps) =>
            {
                var ledger = Empty();
                var balance = total;
                var references = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                var runs = new List<Run>();
                var reversals = new List<Back>();
                var trace = new List<string>();
                foreach (var (kind, pick, byReference) in steps)
                {
                    var view = View(balance, [.. references]);
                    switch (kind)
                    {
                        case 0:
                            var available = Available(ledger, balance, references);
                            if (available > 0)
                            {
                                var amount = 1 + (pick % available);
                                var key = "run-" + runs.Count;
                                ledger = HoldRules.Add(HoldRules.Prune(ledger, view, (_, _) => true, Now), key, [("INV-1", "M", amount, "USD", balance)], Now);
                                runs.Add(new Run(key, amount));
                            }

                            break;
                        case 1 when runs.Count > 0:
                            var c = runs[pick % runs.Count];
                            if (!c.Captured && !c.Gone)
                            {
                                ledger = Captured(ledger, c.Key);
                                c.Captured = true;
                            }

                            break;
                        case 2 when runs.Count > 0:
                            var d = runs[pick % runs.Count];
                            if (!d.Captured && !d.Gone)
                            {
                                ledger = HoldRules.Release(ledger, d.Key, Now);
                                d.Gone = true;
                            }

                            break;
                        case 3 when runs.Count > 0:
                            var m = runs[pick % runs.Count];
                            if (m.Captured && !m.Recorded)
                            {
                                balance -= m.Amount;
                                if (byReference)
                                {
                                    references.Add(Reference(m.Key));
                                }

                                m.Recorded = true;
                            }

                            break;
                        case 4 when runs.Count > 0:
                            var r = runs[pick % runs.Count];
                            if (r.Captured && r.Reversed < r.Amount)
                            {
                                var back = 1 + (pick % (r.Amount - r.Reversed));
                                var reference = Reference(r.Key) + "-R" + reversals.Count;
                                var reversal = HoldRules.Reverse(ledger, r.Key, "INV-1", back, reference, Now);
                                Assert.InRange(reversal.Released, 0, back);
                                ledger = reversal.Ledger;
                                r.Reversed += back;
                                reversals.Add(new Back(reference, back));
                            }

                            break;
                        case 5 or 6 when reversals.Count > 0:
                            var b = reversals[pick % reversals.Count];
                            if (!b.Recorded)
                            {
                                balance += b.Amount;
                                if (byReference)
                                {
                                    references.Add(b.Reference);
                                }

                                b.Recorded = true;
                            }

                            break;
                    }

                    var engineAvailable = Available(ledger, balance, references);
                    trace.Add($"{kind},{pick},{byReference} bal={balance} refs=[{string.Join(',', references)}] avail={engineAvailable} runs=[{string.Join(';', runs.Select(x => $"{x.Key}:{x.Amount}:{(x.Captured ? 'C' : '-')}{(x.Gone ? 'G' : '-')}{(x.Recorded ? 'R' : '-')}:{x.Reversed}"))}] backs=[{string.Join(';', reversals.Select(x => $"{x.Reference}:{x.Amount}:{x.Recorded}"))}] ledger={System.Text.Json.JsonSerializer.Serialize(ledger.Invoices)}");
                    var trulyOwed = total
                        - runs.Where(x => x.Captured || !x.Gone).Sum(x => x.Amount)
                        + reversals.Sum(x => x.Amount);
                    Assert.True(engineAvailable <= Math.Max(0, trulyOwed), $"available {engineAvailable} > owed {trulyOwed}\n" + string.Join("\n", trace));
                }

                // Settle: every in-flight run charges; the MMS records every payment and reversal and lists them all.
                foreach (var run in runs.Where(x => !x.Gone && !x.Captured))
                {
                    ledger = Captured(ledger, run.Key);
                }

                var final = total - runs.Where(x => !x.Gone).Sum(x => x.Amount) + reversals.Sum(x => x.Amount);
                var all = runs.Where(x => !x.Gone).Select(x => Reference(x.Key)).Concat(reversals.Select(x => x.Reference)).ToArray();
                var finalView = View(final, all);
                var pruned = HoldRules.Prune(ledger, finalView, (_, _) => true, Now);
                Assert.Equal(0, HoldRules.Held([pruned], finalView).GetValueOrDefault("INV-1"));
                Assert.Empty(pruned.Invoices);
            }, iter: 4000);
    }

    /// <summary>What a new run may allocate: the balance (when the invoice is outstanding) less what the holds keep off it.</summary>
    private static long Available(ClientLedger ledger, long balance, IEnumerable<string> references)
    {
        if (balance <= 0)
        {
            return 0;
        }

        var held = HoldRules.Held([ledger], View(balance, [.. references])).GetValueOrDefault("INV-1");
        return Math.Max(0, balance - held);
    }

    private static ClientLedger Empty() => ClientLedger.Empty("C-1", Now);

    private static ClientLedger Add(ClientLedger ledger, string run, long amount, long outstanding) =>
        HoldRules.Add(ledger, run, [("INV-1", "M", amount, "USD", outstanding)], Now);

    private static ClientLedger Captured(ClientLedger ledger, params string[] runs) =>
        runs.Aggregate(ledger, (l, run) => HoldRules.Capture(l, run, "ch_" + run, new Dictionary<string, string>(StringComparer.Ordinal) { ["INV-1"] = Reference(run) }, Now));

    private static long Held(ClientLedger ledger, MmsInvoiceState state) => HoldRules.Held(ledger.Invoices.Single(i => i.InvoiceKey == "INV-1"), state);

    private static MmsInvoiceState State(long outstanding, params string[] references) =>
        new(outstanding, references.ToHashSet(StringComparer.OrdinalIgnoreCase));

    /// <summary>The MMS's view: the invoice while it is outstanding (a credit balance is not outstanding).</summary>
    private static Dictionary<string, MmsInvoiceState> View(long outstanding, params string[] references) =>
        outstanding > 0
            ? new(StringComparer.Ordinal) { ["INV-1"] = State(outstanding, references) }
            : new(StringComparer.Ordinal);

    private static string Reference(string run) => "PC-" + run;

    private sealed class Run(string key, long amount)
    {
        public string Key { get; } = key;

        public long Amount { get; } = amount;

        public bool Captured { get; set; }

        public bool Gone { get; set; }

        public bool Recorded { get; set; }

        public long Reversed { get; set; }
    }

    private sealed class Back(string reference, long amount)
    {
        public string Reference { get; } = reference;

        public long Amount { get; } = amount;

        public bool Recorded { get; set; }
    }
}
