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

    /// <summary>
    /// The outstanding invoices of the scopes, each once: one key-range query per client or matter scope over the
    /// outstanding copies (<see cref="MmsOutstandingInvoice"/>), one point read per invoice scope. Never the firm's
    /// whole mirror.
    /// </summary>
    public async Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken)
    {
        var clients = scopes.Where(s => s.Level == AssociationLevel.Client).Select(s => s.Number.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, MmsInvoice>(StringComparer.Ordinal);
        var prefixes = new HashSet<string>(clients.Select(MmsOutstandingInvoice.ClientPrefix), StringComparer.Ordinal);
        foreach (var scope in scopes.Where(s => s.Level == AssociationLevel.Matter))
        {
            var client = scope.ClientNumber
                ?? (await store.GetAsync<MmsMatter>(firmId, scope.Number.ToUpperInvariant(), cancellationToken).ConfigureAwait(false))?.Value.ClientNumber;
            if (client is not null && !clients.Contains(client.ToUpperInvariant()))
            {
                prefixes.Add(MmsOutstandingInvoice.MatterPrefix(client, scope.Number));
            }
        }

        foreach (var prefix in prefixes)
        {
            string? continuation = null;
            do
            {
                var page = await store.ListAsync<MmsOutstandingInvoice>(firmId, prefix, 1000, continuation, null, cancellationToken).ConfigureAwait(false);
                foreach (var row in page.Items)
                {
                    found[row.Value.Invoice.Key] = row.Value.Invoice;
                }

                continuation = page.Continuation;
            }
            while (continuation is not null);
        }

        foreach (var scope in scopes.Where(s => s.Level == AssociationLevel.Invoice && !found.ContainsKey(s.Number.ToUpperInvariant())))
        {
            var invoice = await store.GetAsync<MmsInvoice>(firmId, scope.Number.ToUpperInvariant(), cancellationToken).ConfigureAwait(false);
            if (invoice is { Value.OutstandingMinor: > 0 })
            {
                found[invoice.Value.Key] = invoice.Value;
            }
        }

        return found.Values.Where(i => i.OutstandingMinor > 0).ToList();
    }

    /// <summary>
    /// Stores ingested invoices: the by-number rows, and the outstanding copies kept in step with them (written while
    /// an invoice has a balance, removed when it has none or moved to another client or matter). Idempotent: a sync
    /// agent may send the same batch again.
    /// </summary>
    public async Task SaveInvoicesAsync(string firmId, IReadOnlyList<MmsInvoice> invoices, CancellationToken cancellationToken)
    {
        var previous = new MmsInvoice?[invoices.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, invoices.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            previous[i] = (await store.GetAsync<MmsInvoice>(firmId, invoices[i].Key, ct).ConfigureAwait(false))?.Value).ConfigureAwait(false);

        var writes = new List<RecordWrite>();
        for (var i = 0; i < invoices.Count; i++)
        {
            var invoice = invoices[i];
            var key = MmsOutstandingInvoice.KeyOf(invoice.ClientNumber, invoice.MatterNumber, invoice.Number);
            if (previous[i] is { OutstandingMinor: > 0 } old && MmsOutstandingInvoice.KeyOf(old.ClientNumber, old.MatterNumber, old.Number) is var oldKey
                && (oldKey != key || invoice.OutstandingMinor == 0))
            {
                writes.Add(RecordWrite.Delete<MmsOutstandingInvoice>(oldKey, null));
            }

            if (invoice.OutstandingMinor > 0)
            {
                writes.Add(RecordWrite.Upsert(new MmsOutstandingInvoice(invoice)));
            }
        }

        // The outstanding copies first: a crash after them leaves the by-number rows old, and the agent's retry reads
        // the old rows again and repeats exactly these writes.
        foreach (var chunk in writes.Chunk(100))
        {
            await CommitTolerantAsync(firmId, chunk, cancellationToken).ConfigureAwait(false);
        }

        foreach (var chunk in invoices.Chunk(100))
        {
            await store.UpsertAllAsync(firmId, chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Commits the chunk; if a delete finds its row already gone (a retried batch), writes one by one instead.</summary>
    private async Task CommitTolerantAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
    {
        try
        {
            await store.CommitAsync(firmId, writes, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
            foreach (var write in writes)
            {
                try
                {
                    await store.CommitAsync(firmId, [write], cancellationToken).ConfigureAwait(false);
                }
                catch (ConcurrencyException) when (write.Kind == WriteKind.Delete)
                {
                }
            }
        }
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
