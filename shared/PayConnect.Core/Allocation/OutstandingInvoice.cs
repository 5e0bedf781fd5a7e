using NodaTime;

namespace PayConnect.Allocation;

/// <summary>
/// An invoice the MMS reports as outstanding, as the allocation sees it. The same invoice may arrive more
/// than once when enrolled scopes overlap (a client and one of its matters); <see cref="Allocator"/> dedupes by
/// <see cref="InvoiceId"/>.
/// </summary>
/// <param name="InvoiceId">The MMS's stable id of the invoice (the dedupe key and final ordering tiebreak).</param>
/// <param name="InvoiceNumber">The invoice number shown to people; ordered ordinally.</param>
/// <param name="ClientId">The MMS client the invoice belongs to.</param>
/// <param name="MatterId">The MMS matter the invoice belongs to.</param>
/// <param name="InvoiceDate">Date on the invoice (firm-local calendar date).</param>
/// <param name="DueDate">Date the invoice falls due.</param>
/// <param name="Outstanding">Outstanding balance as the MMS last reported it.</param>
public sealed record OutstandingInvoice(
    string InvoiceId,
    string InvoiceNumber,
    string ClientId,
    string MatterId,
    LocalDate InvoiceDate,
    LocalDate DueDate,
    Money Outstanding);

/// <summary>
/// A posting this system recorded for an invoice that the MMS does not reflect yet (pending, not posted).
/// Its amount is subtracted from the MMS balance so the invoice is never paid twice.
/// </summary>
public sealed record PendingPosting(string InvoiceId, Money Amount);
