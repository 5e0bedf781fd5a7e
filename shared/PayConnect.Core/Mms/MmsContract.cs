using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;

namespace PayConnect.Mms;

/// <summary>
/// A batch of the MMS's clients, matters and invoices from the firm's sync agent, upserted all or nothing: a bad row
/// rejects the whole batch with its index and reason. Rows are keyed by number, so sending a row again updates it.
/// </summary>
/// <param name="Clients">Clients to upsert.</param>
/// <param name="Matters">Matters to upsert.</param>
/// <param name="Invoices">Invoices to upsert, with their current balances.</param>
public sealed record IngestMmsRequest(
    IReadOnlyList<MmsClientRow>? Clients = null,
    IReadOnlyList<MmsMatterRow>? Matters = null,
    IReadOnlyList<MmsInvoiceRow>? Invoices = null) : IExample<IngestMmsRequest>
{
    public const int MaxRowsPerBatch = 1000;

    public static IngestMmsRequest Example => new(
        [new MmsClientRow("C-100", "Acme Holdings")],
        [new MmsMatterRow("M-100-1", "Acme v. Widget Co", "C-100")],
        [new MmsInvoiceRow("INV-1001", "C-100", "M-100-1", new LocalDate(2026, 1, 5), new LocalDate(2026, 2, 4), 1200.00m, 1200.00m, "USD", ["PC-7KQ2MZ9WXA"])]);
}

/// <summary>A client of the MMS.</summary>
/// <param name="Number">The client number (its key, without regard to case).</param>
/// <param name="Name">The client's name.</param>
public sealed record MmsClientRow(string Number, string Name);

/// <summary>A matter of the MMS.</summary>
/// <param name="Number">The matter number (its key, without regard to case).</param>
/// <param name="Name">The matter's name.</param>
/// <param name="ClientNumber">Its client.</param>
public sealed record MmsMatterRow(string Number, string Name, string ClientNumber);

/// <summary>An invoice of the MMS with its balance.</summary>
/// <param name="Number">The invoice number (its key, without regard to case).</param>
/// <param name="ClientNumber">Its client.</param>
/// <param name="MatterNumber">Its matter.</param>
/// <param name="InvoiceDate">When it was issued.</param>
/// <param name="DueDate">When it is due; not before the invoice date.</param>
/// <param name="Total">The invoice total in major units (1200.50), with at most the currency's decimals.</param>
/// <param name="OutstandingBalance">What is still owed, in major units; not more than the total.</param>
/// <param name="Currency">ISO 4217 code; the firm's currency when left out.</param>
/// <param name="PaymentReferences">References of the payments the MMS has recorded on the invoice (a PayConnect payment reference among them ends its hold).</param>
public sealed record MmsInvoiceRow(
    string Number,
    string ClientNumber,
    string MatterNumber,
    LocalDate InvoiceDate,
    LocalDate DueDate,
    decimal Total,
    decimal OutstandingBalance,
    string? Currency = null,
    IReadOnlyList<string>? PaymentReferences = null);

public sealed class IngestMmsRequestValidator : RequestValidator<IngestMmsRequest>
{
    public IngestMmsRequestValidator()
    {
        RuleFor(x => x.Clients).Items(0, IngestMmsRequest.MaxRowsPerBatch);
        RuleFor(x => x.Matters).Items(0, IngestMmsRequest.MaxRowsPerBatch);
        RuleFor(x => x.Invoices).Items(0, IngestMmsRequest.MaxRowsPerBatch);
        RuleForEach(x => x.Clients).SetValidator(new MmsClientRowValidator());
        RuleForEach(x => x.Matters).SetValidator(new MmsMatterRowValidator());
        RuleForEach(x => x.Invoices).SetValidator(new MmsInvoiceRowValidator());
        RuleFor(x => x.Clients).Custom((rows, context) => Unique(rows, r => r?.Number, "clients", context));
        RuleFor(x => x.Matters).Custom((rows, context) => Unique(rows, r => r?.Number, "matters", context));
        RuleFor(x => x.Invoices).Custom((rows, context) => Unique(rows, r => r?.Number, "invoices", context));
        RuleFor(x => x).Custom((batch, context) =>
        {
            if ((batch.Clients?.Count ?? 0) + (batch.Matters?.Count ?? 0) + (batch.Invoices?.Count ?? 0) == 0)
            {
                context.AddFailure("body", "Send at least one of clients, matters, invoices.");
            }
        });
    }

    /// <summary>Numbers are keys without regard to case, so one batch may name each once.</summary>
    private static void Unique<TRow>(IReadOnlyList<TRow>? rows, Func<TRow, string?> number, string name, ValidationContext<IngestMmsRequest> context)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < (rows?.Count ?? 0); i++)
        {
            if (number(rows![i]) is { } key && !seen.Add(key))
            {
                context.AddFailure($"{name}[{i}].number", "Appears more than once in this batch.");
            }
        }
    }
}

public sealed class MmsClientRowValidator : RequestValidator<MmsClientRow>
{
    public MmsClientRowValidator()
    {
        RuleFor(x => x.Number).Text(64);
        RuleFor(x => x.Name).Text(200);
    }
}

public sealed class MmsMatterRowValidator : RequestValidator<MmsMatterRow>
{
    public MmsMatterRowValidator()
    {
        RuleFor(x => x.Number).Text(64);
        RuleFor(x => x.Name).Text(200);
        RuleFor(x => x.ClientNumber).Text(64);
    }
}

public sealed class MmsInvoiceRowValidator : RequestValidator<MmsInvoiceRow>
{
    public MmsInvoiceRowValidator()
    {
        RuleFor(x => x.Number).Text(64);
        RuleFor(x => x.ClientNumber).Text(64);
        RuleFor(x => x.MatterNumber).Text(64);
        RuleFor(x => x.Currency).OneOf(Currencies.Supported, "Must be a supported ISO 4217 currency code.");
        RuleFor(x => x.Total).GreaterThanOrEqualTo(0m).WithMessage("Must be zero or more.");
        RuleFor(x => x.OutstandingBalance).GreaterThanOrEqualTo(0m).WithMessage("Must be zero or more.")
            .Must((row, outstanding) => outstanding <= row.Total).WithMessage("Must not exceed the invoice total.");
        RuleFor(x => x.DueDate).Must((row, due) => due >= row.InvoiceDate).WithMessage("Must not be before the invoice date.");
        RuleFor(x => x.PaymentReferences).Items(0, MmsInvoice.MaxPaymentReferences);
        RuleForEach(x => x.PaymentReferences).Text(64);
    }
}

/// <summary>How many rows of each kind the batch upserted.</summary>
/// <param name="Clients">Clients upserted.</param>
/// <param name="Matters">Matters upserted.</param>
/// <param name="Invoices">Invoices upserted.</param>
public sealed record MmsIngestedResponse(int Clients, int Matters, int Invoices) : IExample<MmsIngestedResponse>
{
    public static MmsIngestedResponse Example => new(1, 1, 1);
}

/// <summary>The association screen's search of the MMS.</summary>
/// <param name="By">What q is matched against.</param>
/// <param name="Q">The text to look for (a name or number, or its beginning).</param>
public sealed record SearchMmsQuery(MmsSearchBy By, string Q);

public sealed class SearchMmsQueryValidator : RequestValidator<SearchMmsQuery>
{
    public SearchMmsQueryValidator() => RuleFor(x => x.Q).Text(100);
}

/// <summary>One tickable search result: a client, a matter or an invoice, with its parents.</summary>
/// <param name="Level">Client, Matter or Invoice.</param>
/// <param name="Number">The number of the result itself (client, matter or invoice number): what an association sends.</param>
/// <param name="DisplayName">What to show for it.</param>
/// <param name="ClientNumber">Its client.</param>
/// <param name="ClientName">Its client's name, when the MMS gave it.</param>
/// <param name="MatterNumber">Its matter (Matter and Invoice results).</param>
/// <param name="MatterName">Its matter's name, when the MMS gave it.</param>
/// <param name="InvoiceNumber">The invoice (Invoice results).</param>
/// <param name="InvoiceDate">When the invoice was issued (Invoice results).</param>
/// <param name="OutstandingMinor">What the invoice still owes, in minor units (Invoice results).</param>
/// <param name="Currency">ISO 4217 code of the balance (Invoice results).</param>
public sealed record MmsSearchResultResponse(
    AssociationLevel Level,
    string? Number,
    string DisplayName,
    string ClientNumber,
    string? ClientName,
    string? MatterNumber,
    string? MatterName,
    string? InvoiceNumber,
    LocalDate? InvoiceDate,
    long? OutstandingMinor,
    string? Currency) : IExample<MmsSearchResultResponse>
{
    public static MmsSearchResultResponse Example => new(AssociationLevel.Client, "C-100", "C-100 Acme Holdings", "C-100", "Acme Holdings", null, null, null, null, null, null);

    public static MmsSearchResultResponse From(MmsSearchResult r) => new(
        r.Level,
        r.Level switch { AssociationLevel.Client => r.ClientNumber, AssociationLevel.Matter => r.MatterNumber, _ => r.InvoiceNumber },
        r.DisplayName, r.ClientNumber, r.ClientName, r.MatterNumber, r.MatterName, r.InvoiceNumber, r.InvoiceDate, r.OutstandingMinor, r.Currency);
}
