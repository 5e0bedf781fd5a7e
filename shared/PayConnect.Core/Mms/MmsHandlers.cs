using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Mms;

/// <summary>The MMS ingest API (fed by a firm's sync agent) and the association screen's search.</summary>
public sealed class MmsHandlers(IRecordStore store, IMmsConnector connector, MirrorMmsConnector mirror)
{
    /// <summary>
    /// Upserts a batch of clients, matters and invoices (already validated row by row). Amounts must fit the currency's
    /// decimals (the firm's currency for rows without one); a bad row rejects the whole batch with its index and reason
    /// and nothing of the batch is stored. Upserts are idempotent.
    /// </summary>
    public async Task<ApiResult> IngestAsync(string firmId, IngestMmsRequest body, CancellationToken ct)
    {
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        var currency = firm?.Value.Currency ?? "USD";
        var errors = new FieldErrors();
        var clients = (body.Clients ?? []).Select(r => new MmsClient(r.Number, r.Name)).ToList();
        var matters = (body.Matters ?? []).Select(r => new MmsMatter(r.Number, r.Name, r.ClientNumber)).ToList();
        var invoices = new List<MmsInvoice>();
        foreach (var (row, i) in (body.Invoices ?? []).Select((r, i) => (r, i)))
        {
            var rowCurrency = row.Currency ?? currency;
            var total = Minor(row.Total, rowCurrency, $"invoices[{i}].total", errors);
            var outstanding = Minor(row.OutstandingBalance, rowCurrency, $"invoices[{i}].outstandingBalance", errors);
            invoices.Add(new MmsInvoice(row.Number, row.ClientNumber, row.MatterNumber, row.InvoiceDate, row.DueDate, total, outstanding, rowCurrency)
            {
                PaymentReferences = row.PaymentReferences ?? [],
            });
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors, "The batch has invalid rows; nothing of it was stored.");
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

        return new ApiResult.Ok(new MmsIngestedResponse(clients.Count, matters.Count, invoices.Count));
    }

    public async Task<ApiResult> SearchAsync(string firmId, SearchMmsQuery query, Paging paging, CancellationToken ct)
    {
        try
        {
            var page = await connector.SearchAsync(firmId, query.By, query.Q, paging.PageSize, paging.Continuation, ct);
            return new ApiResult.Ok(new Page<MmsSearchResultResponse>(page.Items.Select(MmsSearchResultResponse.From).ToList(), page.Continuation));
        }
        catch (MmsUnavailableException ex)
        {
            return new ApiResult.DependencyUnavailable($"The matter management system could not be reached: {ex.Message}");
        }
    }

    private static long Minor(decimal major, string currency, string field, FieldErrors errors)
    {
        if (Currencies.TryToMinor(major, currency, out var minor) && minor >= 0)
        {
            return minor;
        }

        errors.Add(field, $"Must be zero or more with at most {Currencies.Exponent(currency)} decimals.");
        return 0;
    }
}
