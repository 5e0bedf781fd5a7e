using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>An amount a run has allocated to an invoice but not yet written as a posting.</summary>
/// <param name="RunKey">The run holding it.</param>
/// <param name="Invoice">The invoice key (upper-cased number).</param>
/// <param name="AmountMinor">The amount, in the run's currency.</param>
/// <param name="Currency">The run's currency.</param>
/// <param name="At">When it was reserved.</param>
public sealed record Reservation(string RunKey, string Invoice, long AmountMinor, string Currency, Instant At);

/// <summary>
/// One per firm: what runs between allocation and postings have taken from invoices. Allocation reads it, then the
/// pending postings, and commits its own reservation with the ETag it read; a run releases its reservation only after
/// its postings are written. So when two runs (of different schedules) share an invoice, the second either sees the
/// first's reservation or its postings, never neither — an invoice is never paid beyond its balance.
/// </summary>
public sealed record AllocationLedger(IReadOnlyList<Reservation> Reservations, Instant UpdatedAt) : IFirmRecord
{
    public static string Table => "AllocationLedgers";

    public string Key => LedgerKey;

    public const string LedgerKey = "ledger";
}
