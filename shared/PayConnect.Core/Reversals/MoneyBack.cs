using NodaTime;
using PayConnect.Postings;
using PayConnect.Runs;
using PayConnect.Storage;

namespace PayConnect.Reversals;

/// <summary>The writes of one reversal: its postings, the client ledgers with the run's holds released, and its lines as released.</summary>
public sealed record ReversalWrites(IReadOnlyList<ReversalLine> Lines, IReadOnlyList<Posting> Postings, IReadOnlyList<RecordWrite> Ledgers);

/// <summary>
/// Money going back to the payer (SPEC §2.3, docs/decisions/0034-reversals-release-holds.md): one reversal posting per
/// invoice (and one for the surcharge), posted to the MMS like a payment, and the run's holds on those invoices released
/// by what went back (<see cref="HoldRules.Reverse"/>), all in the commit that records the reversal on the run.
/// </summary>
public sealed class MoneyBack(RunLedger ledger, IRecordStore store)
{
    /// <summary>
    /// Prepares the reversal of <paramref name="lines"/> of <paramref name="run"/>'s charge: its postings and the ledgers
    /// to replace (ETag-checked), and the lines with what came off the holds. Nothing is written yet.
    /// </summary>
    public async Task<ReversalWrites> PrepareAsync(
        string firmId, RunRecord run, IReadOnlyList<ReversalLine> lines, ReversalCause cause, string sourceKey, string? sourceId, Instant now, CancellationToken cancellationToken)
    {
        var clients = lines.Where(l => !l.IsSurcharge).Select(l => l.ClientNumber).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var ledgers = clients.Count == 0
            ? new Dictionary<string, Stored<ClientLedger>?>(StringComparer.Ordinal)
            : await ledger.LedgersAsync(firmId, clients, cancellationToken).ConfigureAwait(false);
        var current = ledgers.Where(l => l.Value is not null).ToDictionary(l => l.Key, l => l.Value!.Value, StringComparer.Ordinal);
        var released = new List<ReversalLine>(lines.Count);
        foreach (var line in lines)
        {
            var client = line.ClientNumber.ToUpperInvariant();
            if (line.IsSurcharge || !current.TryGetValue(client, out var clientLedger))
            {
                released.Add(line with { ReleasedMinor = 0 });
                continue;
            }

            var reversal = HoldRules.Reverse(clientLedger, run.RunKey, line.InvoiceNumber, line.AmountMinor, line.Reference, now);
            current[client] = reversal.Ledger;
            released.Add(line with { ReleasedMinor = reversal.Released });
        }

        var ledgerWrites = current
            .Where(c => !ReferenceEquals(c.Value, ledgers[c.Key]!.Value))
            .Select(c => RecordWrite.Replace(c.Value, ledgers[c.Key]!.ETag))
            .ToList();
        var postings = released.Select(l => Posting(run, l, cause, sourceKey, sourceId, now)).ToList();
        return new ReversalWrites(released, postings, ledgerWrites);
    }

    /// <summary>
    /// Commits the run's move with its reversal (and <paramref name="more"/>: the event receipt, postings settled) in one
    /// entity group transaction, ETag-checked. A reversal with more postings than one commit holds records the run, its
    /// holds and receipt first and writes its postings after (each once, by its derived id).
    /// </summary>
    /// <returns>The run's new ETag.</returns>
    public async Task<string> CommitAsync(string firmId, RunRecord next, string etag, IReadOnlyList<RecordWrite> more, ReversalWrites? reversal, CancellationToken cancellationToken)
    {
        var writes = new List<RecordWrite> { RecordWrite.Replace(next, etag) };
        writes.AddRange(more);
        writes.AddRange(reversal?.Ledgers ?? []);
        var postings = reversal?.Postings ?? [];
        if (writes.Count + postings.Count <= 100)
        {
            writes.AddRange(postings.Select(RecordWrite.Insert));
            return (await ledger.CommitAsync(firmId, writes, cancellationToken).ConfigureAwait(false))[0]!;
        }

        var runETag = (await ledger.CommitAsync(firmId, writes, cancellationToken).ConfigureAwait(false))[0]!;
        await WritePostingsAsync(firmId, postings, cancellationToken).ConfigureAwait(false);
        return runETag;
    }

    /// <summary>Writes reversal postings one by one, keeping any already written (a redelivery finishing a large reversal).</summary>
    public async Task WritePostingsAsync(string firmId, IEnumerable<Posting> postings, CancellationToken cancellationToken)
    {
        foreach (var posting in postings)
        {
            try
            {
                await store.InsertAsync(firmId, posting, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyException ex) when (ex.AlreadyExists)
            {
                // Written already; staff may have acted on it since.
            }
        }
    }

    /// <summary>The payment (or surcharge) posting of the run's current presentment that a reversal line reverses.</summary>
    public static string ReversedPostingId(RunRecord run, ReversalLine line) =>
        line.IsSurcharge
            ? Postings.Posting.SurchargeIdOf(run.ScheduleId, run.RunDate, run.Presentment)
            : Postings.Posting.IdOf(line.InvoiceNumber, run.ScheduleId, run.RunDate, run.Presentment);

    private static Posting Posting(RunRecord run, ReversalLine line, ReversalCause cause, string sourceKey, string? sourceId, Instant now)
    {
        var of = ReversedPostingId(run, line);
        return new Posting(
            Postings.Posting.ReversalIdOf(of, sourceKey),
            line.InvoiceNumber,
            line.ClientNumber,
            line.MatterNumber,
            line.AmountMinor,
            run.Currency!,
            run.RunKey,
            run.RunDate,
            run.ScheduleId,
            run.Snapshot!.PayerId,
            run.ChargeId!,
            run.Snapshot.BankAccountId,
            run.Snapshot.ArMessage,
            PostingState.Pending,
            1,
            [new PostingAudit(1, "Created", null, PostingState.Pending, RunCharger.Actor, now, $"{cause} {sourceId}".Trim())],
            now,
            now)
        {
            Kind = PostingKind.Reversal,
            ReversalOf = of,
            Cause = cause,
            SourceId = sourceId,
            Reference = line.Reference,
        };
    }
}
