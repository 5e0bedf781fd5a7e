using CsCheck;
using NodaTime;
using PayConnect.Runs;

namespace PayConnect.Tests.Runs;

/// <summary>
/// The hold rules (SPEC §2.3): captured money counts against its invoice until the MMS shows it or the money goes
/// back, and never more than the invoice owes can be allocated, whatever order the MMS shows payments in.
/// </summary>
public class HoldRulesTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 2, 15, 0);

    [Fact]
    public void ReservedHold_CountsInFull_WhateverTheBalanceDoes_BecauseItsMoneyIsNotCapturedYet()
    {
        var ledger = Add(Empty(), "r1", 300, outstanding: 1000);

        Assert.Equal(300, Held(ledger, State(0)));
        Assert.Equal(300, Held(ledger, State(600)));
    }

    [Fact]
    public void CapturedHold_IsShownByItsReference_ByItsChargeId_OrByABalanceDropCoveringIt()
    {
        var ledger = HoldRules.Capture(Add(Empty(), "r1", 300, outstanding: 1000), "r1", "ch_1", Refs("r1"), Now);

        Assert.Equal(0, Held(ledger, State(1000, Reference("r1").ToLowerInvariant())));
        Assert.Equal(0, Held(ledger, State(1000, "ch_1")));
        Assert.Equal(0, Held(ledger, State(700)));
        Assert.Equal(1, Held(ledger, State(701)));
        Assert.Equal(300, Held(ledger, State(1000)));
    }

    [Fact]
    public void TwoHoldsOnOneInvoice_ShownInEitherOrder_AreCountedExactlyOnce()
    {
        // Run A took 300 of 1000, then run B the other 700 while A was still held; both charged.
        var ledger = Add(Empty(), "A", 300, outstanding: 1000);
        ledger = Add(ledger, "B", 700, outstanding: 1000);
        ledger = HoldRules.Capture(HoldRules.Capture(ledger, "A", "ch_A", Refs("A"), Now), "B", "ch_B", Refs("B"), Now);

        Assert.Equal(300, Held(ledger, State(300)));
        Assert.Equal(700, Held(ledger, State(700)));
        Assert.Equal(0, Held(ledger, State(0)));
    }

    [Fact]
    public void ReleasedHold_NoLongerCounts_AndAnInvoiceWithoutHoldsLeavesTheLedger()
    {
        var ledger = Add(Add(Empty(), "A", 300, outstanding: 1000), "B", 200, outstanding: 1000);

        var released = HoldRules.Release(ledger, "A", Now);

        Assert.Equal(200, Held(released, State(1000)));
        Assert.Empty(HoldRules.Release(released, "B", Now).Invoices);
    }

    [Fact]
    public void Prune_DropsShownHolds_KeepsReservedOnesAnchoredAtTheBalanceNow_AndLeavesUncoveredInvoicesAlone()
    {
        var ledger = Add(Empty(), "A", 300, outstanding: 1000, invoice: "INV-1", matter: "M1");
        ledger = Add(ledger, "A", 50, outstanding: 50, invoice: "INV-2", matter: "M2");
        ledger = HoldRules.Capture(ledger, "A", "ch_A", new Dictionary<string, string>(), Now);
        ledger = Add(ledger, "B", 100, outstanding: 1000, invoice: "INV-1", matter: "M1");
        var mms = new Dictionary<string, MmsInvoiceState> { ["INV-1"] = State(700) };

        var covered = HoldRules.Prune(ledger, mms, (_, _) => true, Now);
        var notCovered = HoldRules.Prune(ledger, mms, (i, _) => i.MatterNumber == "M1", Now);

        var inv1 = Assert.Single(covered.Invoices);
        Assert.Equal((700L, "B"), (inv1.AnchorMinor, Assert.Single(inv1.Holds).RunKey));
        Assert.Equal(["INV-1", "INV-2"], notCovered.Invoices.Select(i => i.InvoiceNumber).Order());
        Assert.Equal(100, Held(covered, State(700)));
    }

    /// <summary>
    /// Random lifetimes of one invoice: runs allocate what the rules say is available, charge or are declined, and the
    /// MMS records captured payments late, in any order, by reference or by balance only. After every step the
    /// engine's available balance never exceeds what is truly still owed (the total less all captured money), and once
    /// the MMS shows every captured payment and nothing is in flight, nothing stays held.
    /// </summary>
    [Fact]
    public void AvailableNeverExceedsWhatIsTrulyOwed_WhateverOrderTheMmsShowsPaymentsIn()
    {
        Gen.Select(Gen.Long[1, 200_000], Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1000], Gen.Bool).Array[1, 40])
            .Sample((total, steps) =>
            {
                var ledger = RunLedgerOf();
                var outstanding = total;
                var references = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                var runs = new List<(string Key, long Amount, bool Captured, bool Gone, bool Recorded)>();
                foreach (var (kind, pick, byReference) in steps)
                {
                    var view = outstanding > 0 ? View(outstanding, [.. references]) : new Dictionary<string, MmsInvoiceState>();
                    switch (kind)
                    {
                        case 0:
                            var held = HoldRules.Held([ledger], view).GetValueOrDefault("INV-1");
                            var available = Math.Max(0, outstanding - held);
                            if (available > 0)
                            {
                                var amount = 1 + (pick % available);
                                var key = "run-" + runs.Count;
                                ledger = HoldRules.Add(HoldRules.Prune(ledger, view, (_, _) => true, Now), key, [("INV-1", "M", amount, "USD", outstanding)], Now);
                                runs.Add((key, amount, false, false, false));
                            }

                            break;
                        case 1 when runs.Count > 0:
                            var c = pick % runs.Count;
                            if (!runs[c].Captured && !runs[c].Gone)
                            {
                                ledger = HoldRules.Capture(ledger, runs[c].Key, "ch_" + runs[c].Key, Refs(runs[c].Key), Now);
                                runs[c] = runs[c] with { Captured = true };
                            }

                            break;
                        case 2 when runs.Count > 0:
                            var d = pick % runs.Count;
                            if (!runs[d].Captured && !runs[d].Gone)
                            {
                                ledger = HoldRules.Release(ledger, runs[d].Key, Now);
                                runs[d] = runs[d] with { Gone = true };
                            }

                            break;
                        case 3 or 4 when runs.Count > 0:
                            var m = pick % runs.Count;
                            if (runs[m].Captured && !runs[m].Recorded)
                            {
                                outstanding -= runs[m].Amount;
                                if (byReference)
                                {
                                    references.Add(Reference(runs[m].Key));
                                }

                                runs[m] = runs[m] with { Recorded = true };
                            }

                            break;
                    }

                    var now = outstanding > 0 ? View(outstanding, [.. references]) : new Dictionary<string, MmsInvoiceState>();
                    var stillHeld = HoldRules.Held([ledger], now).GetValueOrDefault("INV-1");
                    var engineAvailable = outstanding > 0 ? Math.Max(0, outstanding - stillHeld) : 0;
                    var trulyOwed = total - runs.Where(r => r.Captured).Sum(r => r.Amount) - runs.Where(r => !r.Captured && !r.Gone).Sum(r => r.Amount);
                    Assert.True(outstanding >= 0, "The MMS never records more than was captured.");
                    Assert.True(engineAvailable <= Math.Max(0, trulyOwed), $"available {engineAvailable} > owed {trulyOwed}");
                }

                // Settle: every in-flight run charges, the MMS records everything. Nothing stays held.
                foreach (var run in runs.Where(r => !r.Gone && !r.Captured).ToList())
                {
                    ledger = HoldRules.Capture(ledger, run.Key, "ch_" + run.Key, Refs(run.Key), Now);
                }

                var final = total - runs.Where(r => !r.Gone).Sum(r => r.Amount);
                var finalView = final > 0 ? View(final) : new Dictionary<string, MmsInvoiceState>();
                var pruned = HoldRules.Prune(ledger, finalView, (_, _) => true, Now);
                Assert.Equal(0, HoldRules.Held([pruned], finalView).GetValueOrDefault("INV-1"));
                Assert.Empty(pruned.Invoices);
            }, iter: 3000);
    }

    private static ClientLedger RunLedgerOf() => Empty();

    private static ClientLedger Empty() => ClientLedger.Empty("C-1", Now);

    private static ClientLedger Add(ClientLedger ledger, string run, long amount, long outstanding, string invoice = "INV-1", string matter = "M") =>
        HoldRules.Add(ledger, run, [(invoice, matter, amount, "USD", outstanding)], Now);

    private static long Held(ClientLedger ledger, MmsInvoiceState state) => HoldRules.Held(ledger.Invoices.Single(i => i.InvoiceKey == "INV-1"), state);

    private static MmsInvoiceState State(long outstanding, params string[] references) =>
        new(outstanding, references.ToHashSet(StringComparer.OrdinalIgnoreCase));

    private static Dictionary<string, MmsInvoiceState> View(long outstanding, params string[] references) =>
        new(StringComparer.Ordinal) { ["INV-1"] = State(outstanding, references) };

    private static Dictionary<string, string> Refs(string run) => new(StringComparer.Ordinal) { ["INV-1"] = Reference(run) };

    private static string Reference(string run) => "PC-" + run;
}
