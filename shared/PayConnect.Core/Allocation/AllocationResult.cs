namespace PayConnect.Allocation;

/// <summary>One invoice paid by a run and how much of it.</summary>
/// <param name="Invoice">The (deduplicated) invoice.</param>
/// <param name="Amount">What this run pays on it; always greater than zero.</param>
/// <param name="Available">MMS outstanding minus pending postings (floored at zero) when allocated.</param>
public sealed record AllocationLine(OutstandingInvoice Invoice, Money Amount, Money Available)
{
    /// <summary>True for the one boundary invoice an <see cref="AmountRule.UpTo"/> run pays only in part.</summary>
    public bool IsPartial => Amount.Minor < Available.Minor;
}

/// <summary>Why allocation refused its input. Bad input is reported, never "fixed".</summary>
public enum AllocationErrorCode
{
    /// <summary>The run's currency is not one PayConnect supports.</summary>
    UnsupportedCurrency,

    /// <summary>An invoice, pending posting or cap is in another currency than the run.</summary>
    CurrencyMismatch,

    /// <summary>A pending posting has a zero or negative amount.</summary>
    InvalidPendingPosting,

    /// <summary>An invoice has no id.</summary>
    InvalidInvoice,

    /// <summary>Sums exceed the Int64 range of minor units.</summary>
    AmountOverflow,
}

/// <summary>The outcome of <see cref="Allocator.Allocate"/>: a closed type with three cases.</summary>
public abstract record AllocationResult
{
    private AllocationResult()
    {
    }

    /// <summary>Invoices to pay, oldest first; <see cref="Total"/> = Σ line amounts is the one charge of the run.</summary>
    public sealed record Allocated(IReadOnlyList<AllocationLine> Lines, Money Total) : AllocationResult;

    /// <summary>Nothing is available to pay: no charge, the run is recorded as NothingDue.</summary>
    public sealed record NothingDue(string Currency) : AllocationResult;

    /// <summary>The input was inconsistent (for example a currency mismatch); nothing may be charged.</summary>
    public sealed record Rejected(AllocationErrorCode Code, string Message) : AllocationResult;
}
