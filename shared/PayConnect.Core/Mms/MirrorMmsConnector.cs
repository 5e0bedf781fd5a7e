using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Mms;

/// <summary>
/// The embedded MMS: a mirror in our own storage that a firm's sync agent feeds through the ingest API.
/// Numbers are matched case-insensitively (keys are upper-cased); names by case-insensitive contains.
/// </summary>
public sealed class MirrorMmsConnector(IRecordStore store) : IMmsConnector
{
    public async Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken)
    {
        var needle = text.Trim();

        // A page of matters or invoices shares few clients and matters: read each once per search, not once per row.
        var clients = new Dictionary<string, MmsClient?>(StringComparer.Ordinal);
        var matters = new Dictionary<string, MmsMatter?>(StringComparer.Ordinal);
        switch (by)
        {
            case MmsSearchBy.ClientNumber:
            case MmsSearchBy.ClientName:
            {
                var page = by == MmsSearchBy.ClientNumber
                    ? await store.ListAsync<MmsClient>(firmId, needle.ToUpperInvariant(), pageSize, continuation, null, cancellationToken).ConfigureAwait(false)
                    : await store.ListAsync<MmsClient>(firmId, string.Empty, pageSize, continuation, c => Contains(c.Name, needle), cancellationToken).ConfigureAwait(false);
                return new RecordPage<MmsSearchResult>(page.Items.Select(c => ClientResult(c.Value)).ToList(), page.Continuation);
            }

            case MmsSearchBy.MatterNumber:
            case MmsSearchBy.MatterName:
            {
                var page = by == MmsSearchBy.MatterNumber
                    ? await store.ListAsync<MmsMatter>(firmId, needle.ToUpperInvariant(), pageSize, continuation, null, cancellationToken).ConfigureAwait(false)
                    : await store.ListAsync<MmsMatter>(firmId, string.Empty, pageSize, continuation, m => Contains(m.Name, needle), cancellationToken).ConfigureAwait(false);
                var results = new List<MmsSearchResult>(page.Items.Count);
                foreach (var matter in page.Items)
                {
                    results.Add(MatterResult(matter.Value, await ClientAsync(firmId, matter.Value.ClientNumber, clients, cancellationToken).ConfigureAwait(false)));
                }

                return new RecordPage<MmsSearchResult>(results, page.Continuation);
            }

            default:
            {
                var page = await store.ListAsync<MmsInvoice>(firmId, needle.ToUpperInvariant(), pageSize, continuation, null, cancellationToken).ConfigureAwait(false);
                var results = new List<MmsSearchResult>(page.Items.Count);
                foreach (var invoice in page.Items)
                {
                    results.Add(await InvoiceResultAsync(firmId, invoice.Value, clients, matters, cancellationToken).ConfigureAwait(false));
                }

                return new RecordPage<MmsSearchResult>(results, page.Continuation);
            }
        }
    }

    public async Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken)
    {
        var key = scope.Number.ToUpperInvariant();
        switch (scope.Level)
        {
            case AssociationLevel.Client:
                var client = await store.GetAsync<MmsClient>(firmId, key, cancellationToken).ConfigureAwait(false);
                return client is null ? null : ClientResult(client.Value);
            case AssociationLevel.Matter:
                var matter = await store.GetAsync<MmsMatter>(firmId, key, cancellationToken).ConfigureAwait(false);
                if (matter is null)
                {
                    return null;
                }

                var owner = await store.GetAsync<MmsClient>(firmId, matter.Value.ClientNumber.ToUpperInvariant(), cancellationToken).ConfigureAwait(false);
                return MatterResult(matter.Value, owner?.Value);
            default:
                var invoice = await store.GetAsync<MmsInvoice>(firmId, key, cancellationToken).ConfigureAwait(false);
                return invoice is null ? null : await InvoiceResultAsync(firmId, invoice.Value, [], [], cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken)
    {
        var clients = scopes.Where(s => s.Level == AssociationLevel.Client).Select(s => s.Number.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var matters = scopes.Where(s => s.Level == AssociationLevel.Matter).Select(s => s.Number.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var invoices = scopes.Where(s => s.Level == AssociationLevel.Invoice).Select(s => s.Number.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, MmsInvoice>(StringComparer.Ordinal);

        if (clients.Count > 0 || matters.Count > 0)
        {
            // Client and matter scopes: one pass over the firm's invoices, keeping those in scope.
            string? continuation = null;
            do
            {
                var page = await store.ListAsync<MmsInvoice>(
                    firmId, string.Empty, 1000, continuation,
                    i => i.OutstandingMinor > 0 && (clients.Contains(i.ClientNumber.ToUpperInvariant()) || matters.Contains(i.MatterNumber.ToUpperInvariant())),
                    cancellationToken).ConfigureAwait(false);
                foreach (var invoice in page.Items)
                {
                    found[invoice.Value.Key] = invoice.Value;
                }

                continuation = page.Continuation;
            }
            while (continuation is not null);
        }

        foreach (var number in invoices.Where(n => !found.ContainsKey(n)))
        {
            var invoice = await store.GetAsync<MmsInvoice>(firmId, number, cancellationToken).ConfigureAwait(false);
            if (invoice is { Value.OutstandingMinor: > 0 })
            {
                found[invoice.Value.Key] = invoice.Value;
            }
        }

        return found.Values.ToList();
    }

    private async Task<MmsSearchResult> InvoiceResultAsync(
        string firmId, MmsInvoice invoice, Dictionary<string, MmsClient?> clients, Dictionary<string, MmsMatter?> matters, CancellationToken cancellationToken)
    {
        var client = await ClientAsync(firmId, invoice.ClientNumber, clients, cancellationToken).ConfigureAwait(false);
        var matterKey = invoice.MatterNumber.ToUpperInvariant();
        if (!matters.TryGetValue(matterKey, out var matter))
        {
            matters[matterKey] = matter = (await store.GetAsync<MmsMatter>(firmId, matterKey, cancellationToken).ConfigureAwait(false))?.Value;
        }

        return new MmsSearchResult(AssociationLevel.Invoice, invoice.ClientNumber, client?.Name, invoice.MatterNumber, matter?.Name,
            invoice.Number, invoice.InvoiceDate, invoice.OutstandingMinor, invoice.Currency);
    }

    private async Task<MmsClient?> ClientAsync(string firmId, string clientNumber, Dictionary<string, MmsClient?> clients, CancellationToken cancellationToken)
    {
        var key = clientNumber.ToUpperInvariant();
        if (!clients.TryGetValue(key, out var client))
        {
            clients[key] = client = (await store.GetAsync<MmsClient>(firmId, key, cancellationToken).ConfigureAwait(false))?.Value;
        }

        return client;
    }

    private static MmsSearchResult ClientResult(MmsClient c) => new(AssociationLevel.Client, c.Number, c.Name, null, null, null, null, null, null);

    private static MmsSearchResult MatterResult(MmsMatter m, MmsClient? c) =>
        new(AssociationLevel.Matter, m.ClientNumber, c?.Name, m.Number, m.Name, null, null, null, null);

    private static bool Contains(string value, string needle) => value.Contains(needle, StringComparison.OrdinalIgnoreCase);
}
