using CsCheck;
using NodaTime;
using PayConnect.Allocation;

namespace PayConnect.Tests.Allocation;

/// <summary>
/// Properties of <see cref="Allocator"/> over random invoices (with duplicates that may disagree, credits and
/// zero balances), pending postings (including ones for unknown invoices) and amount rules.
/// </summary>
public class AllocatorPropertyTests
{
    private const string Currency = "USD";
    private static readonly LocalDate Epoch = new(2025, 1, 1);

    private static readonly Gen<OutstandingInvoice> GenInvoice =
        Gen.Select(Gen.Int[0, 20], Gen.Int[0, 3], Gen.Int[0, 4], Gen.Long[-2_000, 60_000], Gen.Int[0, 2])
            .Select((day, dueIn, number, balance, matter) => new OutstandingInvoice(
                InvoiceId: string.Empty,
                InvoiceNumber: "N" + number,
                ClientId: "C1",
                MatterId: "M" + matter,
                InvoiceDate: Epoch.PlusDays(day),
                DueDate: Epoch.PlusDays(day + dueIn),
                Outstanding: new Money(balance, Currency)));

    private static readonly Gen<AmountRule> GenRule = Gen.Frequency(
        (1, Gen.Const(AmountRule.PayAll)),
        (3, Gen.Long[1, 250_000].Select(cap => (AmountRule)AmountRule.CreateUpTo(new Money(cap, Currency)))));

    private static readonly Gen<Scenario> GenScenario =
        Gen.Select(
            GenInvoice.Array[0, 12],
            Gen.Select(Gen.Int[0, 11], Gen.Long[0, 5_000]).Array[0, 6],
            Gen.Select(Gen.Int[0, 13], Gen.Long[1, 40_000]).Array[0, 10],
            GenRule,
            Gen.Int)
        .Select((bases, duplicates, pendings, rule, seed) =>
        {
            var unique = bases.Select((b, i) => b with { InvoiceId = $"inv-{i:D2}" }).ToArray();
            var input = unique.ToList();
            foreach (var (index, extra) in duplicates)
            {
                if (index < unique.Length)
                {
                    // A copy from an overlapping scope; sometimes stale (a higher balance) or re-dated.
                    var original = unique[index];
                    input.Add(original with
                    {
                        Outstanding = new Money(original.Outstanding.Minor + extra, Currency),
                        InvoiceDate = extra % 2 == 0 ? original.InvoiceDate : original.InvoiceDate.PlusDays(1),
                    });
                }
            }

            // Indexes past the invoices stand for postings of invoices not in this run: they must not matter.
            var pending = pendings.Select(p => new PendingPosting($"inv-{p.Item1:D2}", new Money(p.Item2, Currency))).ToList();
            Shuffle(input, seed);
            Shuffle(pending, seed ^ 0x5bd1e995);
            return new Scenario(input, pending, rule, seed);
        });

    [Fact]
    public void Allocate_TotalIsTheSumOfItsLinesAndEveryLineIsPositive()
    {
        GenScenario.Sample(s =>
        {
            if (Run(s) is AllocationResult.Allocated a)
            {
                Assert.Equal(a.Total.Minor, a.Lines.Sum(l => l.Amount.Minor));
                Assert.All(a.Lines, l => Assert.True(l.Amount.Minor > 0));
                Assert.All(a.Lines, l => Assert.Equal(Currency, l.Amount.Currency));
            }
        });
    }

    [Fact]
    public void Allocate_NeverPaysAnInvoiceBeyondItsAvailableBalance()
    {
        GenScenario.Sample(s =>
        {
            var available = ExpectedAvailable(s);
            foreach (var line in Lines(Run(s)))
            {
                Assert.True(line.Amount.Minor <= available[line.Invoice.InvoiceId], $"{line.Invoice.InvoiceId} overpaid");
                Assert.Equal(available[line.Invoice.InvoiceId], line.Available.Minor);
            }
        });
    }

    [Fact]
    public void Allocate_UpTo_NeverExceedsTheCapAndReachesItWhenEnoughIsAvailable()
    {
        GenScenario.Where(s => s.Rule is AmountRule.UpTo).Sample(s =>
        {
            var cap = ((AmountRule.UpTo)s.Rule).Cap.Minor;
            var total = Lines(Run(s)).Sum(l => l.Amount.Minor);
            Assert.True(total <= cap);
            Assert.Equal(Math.Min(cap, ExpectedAvailable(s).Values.Sum()), total);
        });
    }

    [Fact]
    public void Allocate_PayAll_PaysExactlyEveryAvailableBalanceInFull()
    {
        GenScenario.Where(s => s.Rule is AmountRule.PayAllOutstanding).Sample(s =>
        {
            var lines = Lines(Run(s));
            var expected = ExpectedAvailable(s).Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value);
            Assert.Equal(expected.Values.Sum(), lines.Sum(l => l.Amount.Minor));
            Assert.Equal(expected.Count, lines.Count);
            Assert.All(lines, l => Assert.False(l.IsPartial));
        });
    }

    [Fact]
    public void Allocate_PaysOlderInvoicesInFullBeforeANewerOneGetsAnything()
    {
        GenScenario.Sample(s =>
        {
            var lines = Lines(Run(s));
            if (lines.Count == 0)
            {
                return;
            }

            // At most one partial line, and it is the last.
            Assert.All(lines.Take(lines.Count - 1), l => Assert.False(l.IsPartial));

            // Lines are oldest first, and no invoice with something available was skipped before the last line.
            var deduped = Dedupe(s.Invoices);
            var available = ExpectedAvailable(s);
            var expectedOrder = deduped.Values
                .OrderBy(i => i.InvoiceDate).ThenBy(i => i.DueDate)
                .ThenBy(i => i.InvoiceNumber, StringComparer.Ordinal).ThenBy(i => i.InvoiceId, StringComparer.Ordinal)
                .Where(i => available[i.InvoiceId] > 0)
                .Select(i => i.InvoiceId)
                .Take(lines.Count);
            Assert.Equal(expectedOrder, lines.Select(l => l.Invoice.InvoiceId));
        });
    }

    [Fact]
    public void Allocate_PaysEachInvoiceAtMostOnceWhateverTheDuplicates()
    {
        GenScenario.Sample(s =>
        {
            var ids = Lines(Run(s)).Select(l => l.Invoice.InvoiceId).ToList();
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
            var deduped = Dedupe(s.Invoices);
            Assert.All(Lines(Run(s)), l => Assert.Equal(deduped[l.Invoice.InvoiceId], l.Invoice));
        });
    }

    [Fact]
    public void Allocate_ResultDoesNotDependOnInputOrder()
    {
        GenScenario.Sample(s =>
        {
            var reversed = s with { Invoices = s.Invoices.AsEnumerable().Reverse().ToList(), Pending = s.Pending.AsEnumerable().Reverse().ToList() };
            var reshuffled = s with { Invoices = Shuffled(s.Invoices, s.Seed + 1), Pending = Shuffled(s.Pending, s.Seed + 2) };

            var expected = Fingerprint(Run(s));
            Assert.Equal(expected, Fingerprint(Run(reversed)));
            Assert.Equal(expected, Fingerprint(Run(reshuffled)));
        });
    }

    [Fact]
    public void Allocate_IsNothingDueExactlyWhenNothingIsAvailable()
    {
        GenScenario.Sample(s =>
        {
            var nothingAvailable = ExpectedAvailable(s).Values.All(v => v == 0);
            Assert.Equal(nothingAvailable, Run(s) is AllocationResult.NothingDue);
        });
    }

    private static AllocationResult Run(Scenario s) => Allocator.Allocate(Currency, s.Invoices, s.Pending, s.Rule);

    private static IReadOnlyList<AllocationLine> Lines(AllocationResult result) => result switch
    {
        AllocationResult.Allocated a => a.Lines,
        AllocationResult.NothingDue => [],
        _ => throw new Xunit.Sdk.XunitException($"Unexpected {result}"),
    };

    private static string Fingerprint(AllocationResult result) =>
        result is AllocationResult.Allocated a
            ? string.Join(";", a.Lines.Select(l => $"{l.Invoice}={l.Amount.Minor}")) + "|" + a.Total
            : result.ToString();

    /// <summary>The documented rule, restated: per id keep the copy with the smallest balance (then oldest, then smallest number/matter).</summary>
    private static Dictionary<string, OutstandingInvoice> Dedupe(IEnumerable<OutstandingInvoice> invoices) =>
        invoices.GroupBy(i => i.InvoiceId).ToDictionary(
            g => g.Key,
            g => g.OrderBy(i => i.Outstanding.Minor).ThenBy(i => i.InvoiceDate).ThenBy(i => i.DueDate)
                .ThenBy(i => i.InvoiceNumber, StringComparer.Ordinal).ThenBy(i => i.ClientId, StringComparer.Ordinal)
                .ThenBy(i => i.MatterId, StringComparer.Ordinal).First());

    private static Dictionary<string, long> ExpectedAvailable(Scenario s)
    {
        var pending = s.Pending.GroupBy(p => p.InvoiceId).ToDictionary(g => g.Key, g => g.Sum(p => p.Amount.Minor));
        return Dedupe(s.Invoices).ToDictionary(
            kv => kv.Key,
            kv => Math.Max(0, kv.Value.Outstanding.Minor - pending.GetValueOrDefault(kv.Key)));
    }

    private static List<T> Shuffled<T>(IEnumerable<T> items, int seed)
    {
        var list = items.ToList();
        Shuffle(list, seed);
        return list;
    }

    private static void Shuffle<T>(List<T> list, int seed)
    {
        var random = new Random(seed);
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    private sealed record Scenario(List<OutstandingInvoice> Invoices, List<PendingPosting> Pending, AmountRule Rule, int Seed)
    {
        public override string ToString() =>
            $"Rule={Rule}; Invoices=[{string.Join(", ", Invoices.Select(i => $"{i.InvoiceId}:{i.InvoiceDate}/{i.DueDate}/{i.InvoiceNumber}/{i.MatterId}={i.Outstanding.Minor}"))}]; " +
            $"Pending=[{string.Join(", ", Pending.Select(p => $"{p.InvoiceId}={p.Amount.Minor}"))}]";
    }
}
