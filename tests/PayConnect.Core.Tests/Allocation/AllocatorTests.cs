using PayConnect.Allocation;
using static PayConnect.Tests.Allocation.InvoiceBuilder;

namespace PayConnect.Tests.Allocation;

public class AllocatorTests
{
    private static readonly PendingPosting[] NoPending = [];

    [Fact]
    public void Allocate_UpToCap_PaysOldestFirstAndSplitsTheBoundaryInvoice()
    {
        var invoices = new[]
        {
            Invoice("march").DatedOn(2025, 3, 1).Owing(30_000).Build(),
            Invoice("january").DatedOn(2025, 1, 1).Owing(10_000).Build(),
            Invoice("february").DatedOn(2025, 2, 1).Owing(20_000).Build(),
        };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.CreateUpTo(Usd.Of(25_000)));

        var allocated = Assert.IsType<AllocationResult.Allocated>(result);
        Assert.Equal(
            [("january", 10_000L, false), ("february", 15_000L, true)],
            allocated.Lines.Select(l => (l.Invoice.InvoiceId, l.Amount.Minor, l.IsPartial)));
        Assert.Equal(Usd.Of(25_000), allocated.Total);
    }

    [Fact]
    public void Allocate_UpToCapLargerThanEverything_PaysEveryBalanceAndNoMore()
    {
        var invoices = new[] { Invoice("a").Owing(1_000).Build(), Invoice("b").DatedOn(2025, 2, 1).Owing(2_000).Build() };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.CreateUpTo(Usd.Of(1_000_000)));

        Assert.Equal(Usd.Of(3_000), Assert.IsType<AllocationResult.Allocated>(result).Total);
    }

    [Fact]
    public void Allocate_UpToCapEndingExactlyOnAnInvoice_PaysItInFullAndStops()
    {
        var invoices = new[]
        {
            Invoice("a").DatedOn(2025, 1, 1).Owing(1_000).Build(),
            Invoice("b").DatedOn(2025, 1, 2).Owing(2_000).Build(),
            Invoice("c").DatedOn(2025, 1, 3).Owing(3_000).Build(),
        };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.CreateUpTo(Usd.Of(3_000)));

        var allocated = Assert.IsType<AllocationResult.Allocated>(result);
        Assert.Equal(["a", "b"], allocated.Lines.Select(l => l.Invoice.InvoiceId));
        Assert.All(allocated.Lines, l => Assert.False(l.IsPartial));
    }

    [Fact]
    public void Allocate_PayAll_PaysEveryAvailableBalanceOldestFirst()
    {
        var invoices = new[]
        {
            Invoice("newer").DatedOn(2025, 5, 1).Owing(700).Build(),
            Invoice("older").DatedOn(2024, 12, 1).Owing(300).Build(),
        };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.PayAll);

        var allocated = Assert.IsType<AllocationResult.Allocated>(result);
        Assert.Equal(["older", "newer"], allocated.Lines.Select(l => l.Invoice.InvoiceId));
        Assert.Equal(Usd.Of(1_000), allocated.Total);
    }

    [Fact]
    public void Allocate_SameInvoiceDate_OrdersByDueDateThenNumberThenId()
    {
        var invoices = new[]
        {
            Invoice("id-2").Numbered("B-7").DueOn(2025, 2, 1).Owing(1).Build(),
            Invoice("id-1").Numbered("B-7").DueOn(2025, 2, 1).Owing(1).Build(),
            Invoice("id-3").Numbered("A-9").DueOn(2025, 2, 1).Owing(1).Build(),
            Invoice("id-4").Numbered("Z-1").DueOn(2025, 1, 15).Owing(1).Build(),
        };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.PayAll);

        Assert.Equal(
            ["id-4", "id-3", "id-1", "id-2"],
            Assert.IsType<AllocationResult.Allocated>(result).Lines.Select(l => l.Invoice.InvoiceId));
    }

    [Fact]
    public void Allocate_PendingPostingsNotYetInTheMms_ReduceWhatIsAvailable()
    {
        var invoices = new[] { Invoice("a").Owing(10_000).Build(), Invoice("b").DatedOn(2025, 2, 1).Owing(5_000).Build() };
        var pending = new[] { new PendingPosting("a", Usd.Of(4_000)), new PendingPosting("a", Usd.Of(1_000)), new PendingPosting("b", Usd.Of(9_999)) };

        var result = Allocator.Allocate("USD", invoices, pending, AmountRule.PayAll);

        var line = Assert.Single(Assert.IsType<AllocationResult.Allocated>(result).Lines);
        Assert.Equal(("a", Usd.Of(5_000)), (line.Invoice.InvoiceId, line.Amount));
    }

    [Fact]
    public void Allocate_EverythingAlreadyPendingOrZero_IsNothingDue()
    {
        var invoices = new[] { Invoice("a").Owing(2_000).Build(), Invoice("b").Owing(0).Build(), Invoice("credit").Owing(-500).Build() };
        var pending = new[] { new PendingPosting("a", Usd.Of(2_000)) };

        var result = Allocator.Allocate("USD", invoices, pending, AmountRule.PayAll);

        Assert.Equal(new AllocationResult.NothingDue("USD"), result);
    }

    [Fact]
    public void Allocate_NoInvoices_IsNothingDue()
    {
        Assert.IsType<AllocationResult.NothingDue>(Allocator.Allocate("USD", [], NoPending, AmountRule.CreateUpTo(Usd.Of(100))));
    }

    [Fact]
    public void Allocate_OverlappingScopes_PaysADuplicatedInvoiceOnce()
    {
        var viaClient = Invoice("a").ForMatter("C1", "M1").Owing(5_000).Build();
        var viaMatter = Invoice("a").ForMatter("C1", "M1").Owing(5_000).Build();

        var result = Allocator.Allocate("USD", [viaClient, viaMatter], NoPending, AmountRule.PayAll);

        Assert.Equal(Usd.Of(5_000), Assert.IsType<AllocationResult.Allocated>(result).Total);
    }

    [Fact]
    public void Allocate_DuplicatesThatDisagree_TrustTheSmallerBalanceWhateverTheOrder()
    {
        var stale = Invoice("a").Owing(9_000).Build();
        var fresh = Invoice("a").Owing(4_000).Build();

        var one = Allocator.Allocate("USD", [stale, fresh], NoPending, AmountRule.PayAll);
        var other = Allocator.Allocate("USD", [fresh, stale], NoPending, AmountRule.PayAll);

        Assert.Equal(Usd.Of(4_000), Assert.IsType<AllocationResult.Allocated>(one).Total);
        Assert.Equal(Usd.Of(4_000), Assert.IsType<AllocationResult.Allocated>(other).Total);
    }

    [Fact]
    public void Allocate_InvoiceInAnotherCurrency_IsRejectedNotCharged()
    {
        var invoices = new[] { Invoice("a").Owing(1_000).Build(), Invoice("b").Owing(1_000, "CAD").Build() };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.PayAll);

        Assert.Equal(AllocationErrorCode.CurrencyMismatch, Assert.IsType<AllocationResult.Rejected>(result).Code);
    }

    [Fact]
    public void Allocate_CapInAnotherCurrency_IsRejected()
    {
        var result = Allocator.Allocate("USD", [Invoice("a").Build()], NoPending, AmountRule.CreateUpTo(new Money(100, "EUR")));

        Assert.Equal(AllocationErrorCode.CurrencyMismatch, Assert.IsType<AllocationResult.Rejected>(result).Code);
    }

    [Fact]
    public void Allocate_PendingPostingInAnotherCurrency_IsRejected()
    {
        var result = Allocator.Allocate("USD", [Invoice("a").Build()], [new PendingPosting("a", new Money(1, "GBP"))], AmountRule.PayAll);

        Assert.Equal(AllocationErrorCode.CurrencyMismatch, Assert.IsType<AllocationResult.Rejected>(result).Code);
    }

    [Fact]
    public void Allocate_NonPositivePendingPosting_IsRejectedRatherThanRaisingTheBalance()
    {
        var result = Allocator.Allocate("USD", [Invoice("a").Owing(100).Build()], [new PendingPosting("a", Usd.Of(-50))], AmountRule.PayAll);

        Assert.Equal(AllocationErrorCode.InvalidPendingPosting, Assert.IsType<AllocationResult.Rejected>(result).Code);
    }

    [Fact]
    public void Allocate_UnsupportedRunCurrency_IsRejected()
    {
        var result = Allocator.Allocate("XXX", [], NoPending, AmountRule.PayAll);

        Assert.Equal(AllocationErrorCode.UnsupportedCurrency, Assert.IsType<AllocationResult.Rejected>(result).Code);
    }

    [Fact]
    public void Allocate_TotalsBeyondInt64_AreRejectedNotWrapped()
    {
        var invoices = new[] { Invoice("a").Owing(long.MaxValue).Build(), Invoice("b").Owing(long.MaxValue).Build() };

        var result = Allocator.Allocate("USD", invoices, NoPending, AmountRule.PayAll);

        Assert.Equal(AllocationErrorCode.AmountOverflow, Assert.IsType<AllocationResult.Rejected>(result).Code);
    }

    [Fact]
    public void Allocate_ZeroDecimalCurrency_WorksInWholeUnits()
    {
        var invoices = new[] { Invoice("a").Owing(5_000, "JPY").Build(), Invoice("b").DatedOn(2025, 3, 1).Owing(5_000, "JPY").Build() };

        var result = Allocator.Allocate("JPY", invoices, NoPending, AmountRule.CreateUpTo(new Money(7_001, "JPY")));

        var allocated = Assert.IsType<AllocationResult.Allocated>(result);
        Assert.Equal([5_000L, 2_001L], allocated.Lines.Select(l => l.Amount.Minor));
    }
}
