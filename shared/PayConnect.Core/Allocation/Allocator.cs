namespace PayConnect.Allocation;

/// <summary>
/// Decides which invoices one Auto-Pay run pays and how much (SPEC §2.3). Pure: integer minor units, no
/// rounding, no I/O, and the result does not depend on the order of the inputs.
/// </summary>
public static class Allocator
{
    /// <summary>
    /// Allocates a run's payment over the outstanding invoices of its enrolled scopes.
    /// </summary>
    /// <param name="currency">The run's currency (the firm's); every amount must be in it.</param>
    /// <param name="invoices">
    /// Outstanding invoices from the MMS, possibly with duplicates from overlapping scopes. Duplicates are merged
    /// by <see cref="OutstandingInvoice.InvoiceId"/>; when they disagree, the copy with the smallest outstanding
    /// balance wins (then the earliest dates, then the smallest number, client and matter, ordinally), so a stale
    /// copy can never make the run pay more than any copy says is owed and the choice is independent of order.
    /// </param>
    /// <param name="pending">
    /// This system's postings the MMS does not reflect yet; summed per invoice and subtracted from its balance.
    /// Postings for invoices not in <paramref name="invoices"/> are irrelevant and ignored.
    /// </param>
    /// <param name="rule">Pay everything available, or up to a cap.</param>
    public static AllocationResult Allocate(
        string currency,
        IEnumerable<OutstandingInvoice> invoices,
        IEnumerable<PendingPosting> pending,
        AmountRule rule)
    {
        ArgumentNullException.ThrowIfNull(invoices);
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(rule);

        if (!Currencies.IsSupported(currency))
        {
            return new AllocationResult.Rejected(AllocationErrorCode.UnsupportedCurrency, $"Currency '{currency}' is not supported.");
        }

        try
        {
            return AllocateChecked(currency, invoices, pending, rule);
        }
        catch (OverflowException)
        {
            return new AllocationResult.Rejected(AllocationErrorCode.AmountOverflow, "Amounts exceed the range of minor units.");
        }
    }

    private static AllocationResult AllocateChecked(
        string currency,
        IEnumerable<OutstandingInvoice> invoices,
        IEnumerable<PendingPosting> pending,
        AmountRule rule)
    {
        if (rule is AmountRule.UpTo upTo && !SameCurrency(upTo.Cap, currency))
        {
            return Mismatch($"The cap is in {upTo.Cap.Currency}, the run in {currency}.");
        }

        var unique = new Dictionary<string, OutstandingInvoice>(StringComparer.Ordinal);
        foreach (var invoice in invoices)
        {
            if (string.IsNullOrEmpty(invoice.InvoiceId))
            {
                return new AllocationResult.Rejected(AllocationErrorCode.InvalidInvoice, "An invoice has no id.");
            }

            if (!SameCurrency(invoice.Outstanding, currency))
            {
                return Mismatch($"Invoice {invoice.InvoiceId} is in {invoice.Outstanding.Currency}, the run in {currency}.");
            }

            unique[invoice.InvoiceId] = unique.TryGetValue(invoice.InvoiceId, out var seen)
                ? PreferredDuplicate(seen, invoice)
                : invoice;
        }

        var pendingByInvoice = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var posting in pending)
        {
            if (!SameCurrency(posting.Amount, currency))
            {
                return Mismatch($"A pending posting for invoice {posting.InvoiceId} is in {posting.Amount.Currency}, the run in {currency}.");
            }

            if (posting.Amount.Minor <= 0)
            {
                return new AllocationResult.Rejected(
                    AllocationErrorCode.InvalidPendingPosting,
                    $"A pending posting for invoice {posting.InvoiceId} is not positive.");
            }

            pendingByInvoice[posting.InvoiceId] = checked(pendingByInvoice.GetValueOrDefault(posting.InvoiceId) + posting.Amount.Minor);
        }

        var ordered = unique.Values.OrderBy(i => i, OldestFirst.Instance);
        var remaining = rule is AmountRule.UpTo cap ? cap.Cap.Minor : long.MaxValue;
        var lines = new List<AllocationLine>();
        long total = 0;
        foreach (var invoice in ordered)
        {
            if (remaining == 0)
            {
                break;
            }

            var available = Math.Max(0, checked(invoice.Outstanding.Minor - pendingByInvoice.GetValueOrDefault(invoice.InvoiceId)));
            if (available == 0)
            {
                continue;
            }

            // PayAll never runs out (remaining stays long.MaxValue); UpTo pays this one in part and stops.
            var pay = Math.Min(available, remaining);
            lines.Add(new AllocationLine(invoice, new Money(pay, currency), new Money(available, currency)));
            total = checked(total + pay);
            if (rule is AmountRule.UpTo)
            {
                remaining -= pay;
            }
        }

        return lines.Count == 0
            ? new AllocationResult.NothingDue(currency)
            : new AllocationResult.Allocated(lines, new Money(total, currency));
    }

    private static bool SameCurrency(Money money, string currency) =>
        string.Equals(money.Currency, currency, StringComparison.Ordinal);

    private static AllocationResult.Rejected Mismatch(string message) =>
        new(AllocationErrorCode.CurrencyMismatch, message);

    private static OutstandingInvoice PreferredDuplicate(OutstandingInvoice a, OutstandingInvoice b)
    {
        var byBalance = a.Outstanding.Minor.CompareTo(b.Outstanding.Minor);
        if (byBalance != 0)
        {
            return byBalance < 0 ? a : b;
        }

        var byAge = OldestFirst.Instance.Compare(a, b);
        if (byAge != 0)
        {
            return byAge < 0 ? a : b;
        }

        var byClient = string.CompareOrdinal(a.ClientId, b.ClientId);
        if (byClient != 0)
        {
            return byClient < 0 ? a : b;
        }

        return string.CompareOrdinal(a.MatterId, b.MatterId) <= 0 ? a : b;
    }

    /// <summary>Invoice date, then due date, then invoice number (ordinal), then invoice id (ordinal).</summary>
    private sealed class OldestFirst : IComparer<OutstandingInvoice>
    {
        public static readonly OldestFirst Instance = new();

        public int Compare(OutstandingInvoice? x, OutstandingInvoice? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }

            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }

            var c = x.InvoiceDate.CompareTo(y.InvoiceDate);
            if (c == 0)
            {
                c = x.DueDate.CompareTo(y.DueDate);
            }

            if (c == 0)
            {
                c = string.CompareOrdinal(x.InvoiceNumber, y.InvoiceNumber);
            }

            return c != 0 ? c : string.CompareOrdinal(x.InvoiceId, y.InvoiceId);
        }
    }
}
