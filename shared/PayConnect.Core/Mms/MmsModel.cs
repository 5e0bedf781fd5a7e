using NodaTime;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Mms;

/// <summary>How the association screen searches the MMS.</summary>
public enum MmsSearchBy
{
    ClientName,
    ClientNumber,
    MatterNumber,
    MatterName,
    InvoiceNumber,
}

public sealed record MmsClient(string Number, string Name) : IFirmRecord
{
    public static string Table => "MmsClients";

    public string Key => Number.ToUpperInvariant();
}

public sealed record MmsMatter(string Number, string Name, string ClientNumber) : IFirmRecord
{
    public static string Table => "MmsMatters";

    public string Key => Number.ToUpperInvariant();
}

/// <summary>An invoice as the MMS knows it; balances in minor units. The mirror keeps it by number (search, invoice scopes).</summary>
public sealed record MmsInvoice(
    string Number,
    string ClientNumber,
    string MatterNumber,
    LocalDate InvoiceDate,
    LocalDate DueDate,
    long TotalMinor,
    long OutstandingMinor,
    string Currency) : IFirmRecord
{
    public const int MaxPaymentReferences = 100;

    public static string Table => "MmsInvoices";

    public string Key => Number.ToUpperInvariant();

    /// <summary>
    /// References of the payments the MMS has recorded on the invoice, as the sync agent reports them. A PayConnect
    /// posting's reference among them tells that the MMS shows that payment (SPEC §2.3).
    /// </summary>
    public IReadOnlyList<string> PaymentReferences { get; init; } = [];
}

/// <summary>
/// The mirror's copy of an outstanding invoice, keyed client, matter, invoice, so that a run reads exactly its scopes'
/// outstanding invoices with one key-range query (a client, or a client's matter) and never the firm's whole mirror.
/// Written when an ingested invoice has a balance, removed when it has none or moves.
/// </summary>
public sealed record MmsOutstandingInvoice(MmsInvoice Invoice) : IFirmRecord
{
    public static string Table => "MmsOutstanding";

    public string Key => KeyOf(Invoice.ClientNumber, Invoice.MatterNumber, Invoice.Number);

    public static string KeyOf(string client, string matter, string invoice) => ClientPrefix(client) + Part(matter) + "~" + Part(invoice);

    public static string ClientPrefix(string client) => Part(client) + "~";

    public static string MatterPrefix(string client, string matter) => ClientPrefix(client) + Part(matter) + "~";

    /// <summary>Upper-cased, with '~' escaped so that one number can never read as the prefix of another's key.</summary>
    private static string Part(string number) => number.ToUpperInvariant().Replace("%", "%25", StringComparison.Ordinal).Replace("~", "%7E", StringComparison.Ordinal);
}

/// <summary>One tickable search result: a client, a matter or an invoice, with its parents.</summary>
public sealed record MmsSearchResult(
    AssociationLevel Level,
    string ClientNumber,
    string? ClientName,
    string? MatterNumber,
    string? MatterName,
    string? InvoiceNumber,
    LocalDate? InvoiceDate,
    long? OutstandingMinor,
    string? Currency)
{
    public string DisplayName => Level switch
    {
        AssociationLevel.Client => $"{ClientNumber} {ClientName}".Trim(),
        AssociationLevel.Matter => $"{MatterNumber} {MatterName}".Trim(),
        _ => $"Invoice {InvoiceNumber}",
    };
}

/// <summary>
/// An enrolled scope to query invoices for. <paramref name="ClientNumber"/> (and <paramref name="MatterNumber"/> for an
/// invoice) is the scope's place in the MMS hierarchy as it was associated; connectors that can use it (the mirror's
/// keys) do, the others query by <paramref name="Number"/>.
/// </summary>
public sealed record MmsScope(AssociationLevel Level, string Number, string? ClientNumber = null, string? MatterNumber = null)
{
    /// <summary>True when an invoice of this client, matter and number is inside the scope.</summary>
    public bool Covers(string clientNumber, string matterNumber, string invoiceNumber) => Level switch
    {
        AssociationLevel.Client => string.Equals(Number, clientNumber, StringComparison.OrdinalIgnoreCase),
        AssociationLevel.Matter => string.Equals(Number, matterNumber, StringComparison.OrdinalIgnoreCase),
        _ => string.Equals(Number, invoiceNumber, StringComparison.OrdinalIgnoreCase),
    };
}

/// <summary>The MMS is unreachable or answered badly; a run treats it as a failure.</summary>
public sealed class MmsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads the firm's matter management system.</summary>
public interface IMmsConnector
{
    Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken);

    /// <summary>The client, matter or invoice behind a scope, or null when the MMS doesn't know it.</summary>
    Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken);

    /// <summary>Invoices with an outstanding balance in any of the scopes (each invoice once).</summary>
    Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken);
}
