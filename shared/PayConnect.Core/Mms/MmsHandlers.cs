using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Mms;

/// <summary>The MMS ingest API (fed by a firm's sync agent) and the association screen's search.</summary>
public sealed class MmsHandlers(IRecordStore store, IMmsConnector connector, MirrorMmsConnector mirror)
{
    public const int MaxRowsPerBatch = 1000;

    /// <summary>
    /// Upserts a batch of clients, matters and invoices. Every row is validated first; a bad row rejects the
    /// whole batch with its index and reason and nothing of the batch is stored. Upserts are idempotent.
    /// </summary>
    public async Task<ApiResult> IngestAsync(string firmId, JsonBody body, CancellationToken ct)
    {
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        var currency = firm?.Value.Currency ?? "USD";
        var clients = body.Array("clients", required: false, MaxRowsPerBatch, row =>
        {
            var number = row.String("number", required: true, maxLength: 64);
            var name = row.String("name", required: true, maxLength: 200);
            return number is null || name is null ? null : new MmsClient(number, name);
        }, minItems: 0) ?? [];
        var matters = body.Array("matters", required: false, MaxRowsPerBatch, row =>
        {
            var number = row.String("number", required: true, maxLength: 64);
            var name = row.String("name", required: true, maxLength: 200);
            var client = row.String("clientNumber", required: true, maxLength: 64);
            return number is null || name is null || client is null ? null : new MmsMatter(number, name, client);
        }, minItems: 0) ?? [];
        var invoices = body.Array("invoices", required: false, MaxRowsPerBatch, row =>
        {
            var number = row.String("number", required: true, maxLength: 64);
            var client = row.String("clientNumber", required: true, maxLength: 64);
            var matter = row.String("matterNumber", required: true, maxLength: 64);
            var invoiceDate = row.Date("invoiceDate", required: true);
            var dueDate = row.Date("dueDate", required: true);
            var rowCurrency = row.String("currency", required: false, maxLength: 3) ?? currency;
            var total = row.Decimal("total", required: true);
            var outstanding = row.Decimal("outstandingBalance", required: true);
            if (!Currencies.IsSupported(rowCurrency))
            {
                row.Errors.Add(row.PathOf("currency"), "Must be a supported ISO 4217 currency code.");
                return null;
            }

            long totalMinor = 0, outstandingMinor = 0;
            if (total is not null && (!Currencies.TryToMinor(total.Value, rowCurrency, out totalMinor) || totalMinor < 0))
            {
                row.Errors.Add(row.PathOf("total"), $"Must be zero or more with at most {Currencies.Exponent(rowCurrency)} decimals.");
            }

            if (outstanding is not null && (!Currencies.TryToMinor(outstanding.Value, rowCurrency, out outstandingMinor) || outstandingMinor < 0))
            {
                row.Errors.Add(row.PathOf("outstandingBalance"), $"Must be zero or more with at most {Currencies.Exponent(rowCurrency)} decimals.");
            }
            else if (total is not null && outstandingMinor > totalMinor)
            {
                row.Errors.Add(row.PathOf("outstandingBalance"), "Must not exceed the invoice total.");
            }

            if (invoiceDate is not null && dueDate is not null && dueDate < invoiceDate)
            {
                row.Errors.Add(row.PathOf("dueDate"), "Must not be before the invoice date.");
            }

            var references = row.Strings("paymentReferences", required: false, MmsInvoice.MaxPaymentReferences, maxLength: 64) ?? [];
            return number is null || client is null || matter is null || invoiceDate is null || dueDate is null || total is null || outstanding is null
                ? null
                : new MmsInvoice(number, client, matter, invoiceDate.Value, dueDate.Value, totalMinor, outstandingMinor, rowCurrency) { PaymentReferences = references };
        }, minItems: 0) ?? [];

        if (!body.Errors.Any && clients.Count + matters.Count + invoices.Count == 0)
        {
            body.Errors.Add("body", "Send at least one of clients, matters, invoices.");
        }

        DuplicateKeys(clients, "clients", body.Errors);
        DuplicateKeys(matters, "matters", body.Errors);
        DuplicateKeys(invoices, "invoices", body.Errors);
        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors, "The batch has invalid rows; nothing of it was stored.");
        }

        foreach (var chunk in clients.Chunk(100))
        {
            await store.UpsertAllAsync(firmId, chunk, ct);
        }

        foreach (var chunk in matters.Chunk(100))
        {
            await store.UpsertAllAsync(firmId, chunk, ct);
        }

        await mirror.SaveInvoicesAsync(firmId, invoices, ct);

        return new ApiResult.Ok(new { clients = clients.Count, matters = matters.Count, invoices = invoices.Count });
    }

    public async Task<ApiResult> SearchAsync(string firmId, string? by, string? text, Paging paging, CancellationToken ct)
    {
        var errors = new FieldErrors();
        MmsSearchBy criterion = default;
        if (string.IsNullOrWhiteSpace(by) || int.TryParse(by, out _) || !Enum.TryParse(by, ignoreCase: true, out criterion) || !Enum.IsDefined(criterion))
        {
            errors.Add("by", $"Must be one of: {string.Join(", ", Enum.GetNames<MmsSearchBy>())}.");
        }

        if (string.IsNullOrWhiteSpace(text) || text.Length > 100)
        {
            errors.Add("q", "Must be 1 to 100 characters.");
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        try
        {
            var page = await connector.SearchAsync(firmId, criterion, text!, paging.PageSize, paging.Continuation, ct);
            return new ApiResult.Ok(new
            {
                items = page.Items.Select(r => new
                {
                    level = r.Level,
                    number = r.Level switch { AssociationLevel.Client => r.ClientNumber, AssociationLevel.Matter => r.MatterNumber, _ => r.InvoiceNumber },
                    displayName = r.DisplayName,
                    clientNumber = r.ClientNumber,
                    clientName = r.ClientName,
                    matterNumber = r.MatterNumber,
                    matterName = r.MatterName,
                    invoiceNumber = r.InvoiceNumber,
                    invoiceDate = r.InvoiceDate,
                    outstandingMinor = r.OutstandingMinor,
                    currency = r.Currency,
                }).ToList(),
                continuation = page.Continuation,
            });
        }
        catch (MmsUnavailableException ex)
        {
            return new ApiResult.DependencyUnavailable($"The matter management system could not be reached: {ex.Message}");
        }
    }

    private static void DuplicateKeys<T>(List<T> rows, string name, FieldErrors errors)
        where T : IFirmRecord
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            if (!seen.Add(rows[i].Key))
            {
                errors.Add($"{name}[{i}].number", "Appears more than once in this batch.");
            }
        }
    }
}
