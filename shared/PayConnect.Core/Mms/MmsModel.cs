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

/// <summary>An invoice as the MMS knows it; balances in minor units.</summary>
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
    public static string Table => "MmsInvoices";

    public string Key => Number.ToUpperInvariant();
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

/// <summary>An enrolled scope to query invoices for.</summary>
public sealed record MmsScope(AssociationLevel Level, string Number);

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
