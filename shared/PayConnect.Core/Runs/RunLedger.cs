using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>A run waiting for staff approval: an entry of the firm's approval queue, kept in the same commit as the run.</summary>
public sealed record ApprovalQueueEntry(string RunKey, string ScheduleId, LocalDate RunDate, long AmountMinor, string Currency, Instant Since) : IFirmRecord
{
    public const string KeyPrefix = "A~";

    public static string Table => LedgerTable.Name;

    public string Key => KeyOf(ScheduleId, RunDate);

    public static string KeyOf(string scheduleId, LocalDate runDate) => KeyPrefix + RunRecord.KeyOf(scheduleId, runDate)[RunRecord.KeyPrefix.Length..];
}

/// <summary>
/// The firm's money records in front of the store: runs, client ledgers of holds, postings and the approval queue,
/// all in the firm's partition of one table so that a run's move commits with its holds and postings. Keys are built
/// by the records; nothing here filters a partition in memory.
/// </summary>
public sealed class RunLedger(IRecordStore store)
{
    public Task<Stored<RunRecord>?> RunAsync(string firmId, string scheduleId, LocalDate runDate, CancellationToken cancellationToken) =>
        store.GetAsync<RunRecord>(firmId, RunRecord.KeyOf(scheduleId, runDate), cancellationToken);

    /// <summary>Every run of one schedule, oldest first (a key-prefix query; a schedule has at most a year of runs, or a plan's).</summary>
    public async Task<IReadOnlyList<Stored<RunRecord>>> RunsOfScheduleAsync(string firmId, string scheduleId, CancellationToken cancellationToken)
    {
        var runs = new List<Stored<RunRecord>>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<RunRecord>(firmId, RunRecord.SchedulePrefix(scheduleId), 200, continuation, null, cancellationToken).ConfigureAwait(false);
            runs.AddRange(page.Items);
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return runs;
    }

    /// <summary>The ledgers of the clients (point reads), keyed by upper-cased client number; null where none exists yet.</summary>
    public async Task<Dictionary<string, Stored<ClientLedger>?>> LedgersAsync(string firmId, IEnumerable<string> clientNumbers, CancellationToken cancellationToken)
    {
        var clients = clientNumbers.Select(c => c.ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var read = await Task.WhenAll(clients.Select(c => store.GetAsync<ClientLedger>(firmId, ClientLedger.KeyOf(c), cancellationToken))).ConfigureAwait(false);
        return clients.Zip(read).ToDictionary(x => x.First, x => x.Second, StringComparer.Ordinal);
    }

    /// <summary>Runs waiting for approval, a page at a time, oldest schedule first.</summary>
    public Task<RecordPage<Stored<ApprovalQueueEntry>>> AwaitingApprovalAsync(string firmId, int pageSize, string? continuation, CancellationToken cancellationToken) =>
        store.ListAsync<ApprovalQueueEntry>(firmId, ApprovalQueueEntry.KeyPrefix, pageSize, continuation, null, cancellationToken);

    /// <summary>Runs of the firm, a page at a time (by schedule, then date); the filter applies to a page as read.</summary>
    public Task<RecordPage<Stored<RunRecord>>> RunsAsync(string firmId, string? scheduleId, int pageSize, string? continuation, Func<RunRecord, bool>? filter, CancellationToken cancellationToken) =>
        store.ListAsync(firmId, scheduleId is null ? RunRecord.KeyPrefix : RunRecord.SchedulePrefix(scheduleId), pageSize, continuation, filter, cancellationToken);

    public Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken) =>
        store.CommitAsync(firmId, writes, cancellationToken);

    /// <summary>
    /// Stores <paramref name="next"/> over <paramref name="run"/> with the run's holds released (its money never landed:
    /// declined, stopped, failed, declined by staff), and its approval-queue entry removed, in one commit. A client
    /// ledger changed by another run meanwhile is read again; a run changed by another delivery throws
    /// <see cref="ConcurrencyException"/> (the caller goes on from the stored run).
    /// </summary>
    public async Task<Stored<RunRecord>> ReleaseAsync(string firmId, Stored<RunRecord> run, RunRecord next, Func<Instant> now, int maxRounds, CancellationToken cancellationToken)
    {
        var clients = run.Value.Lines.Select(l => l.ClientNumber).ToList();
        var dropQueueEntry = run.Value.State == RunState.AwaitingApproval;
        for (var round = 0; ; round++)
        {
            var ledgers = await LedgersAsync(firmId, clients, cancellationToken).ConfigureAwait(false);
            var writes = new List<RecordWrite> { RecordWrite.Replace(next, run.ETag) };
            foreach (var (_, stored) in ledgers)
            {
                if (stored is not null && HoldRules.Release(stored.Value, run.Value.RunKey, now()) is var released && !ReferenceEquals(released, stored.Value))
                {
                    writes.Add(RecordWrite.Replace(released, stored.ETag));
                }
            }

            var ledgerWrites = writes.Count;
            if (dropQueueEntry)
            {
                writes.Add(RecordWrite.Delete<ApprovalQueueEntry>(ApprovalQueueEntry.KeyOf(run.Value.ScheduleId, run.Value.RunDate), null));
            }

            try
            {
                var etags = await store.CommitAsync(firmId, writes, cancellationToken).ConfigureAwait(false);
                return new Stored<RunRecord>(next, etags[0]!);
            }
            catch (ConcurrencyException ex) when (ex.FailedIndex is { } index && index > 0 && index < ledgerWrites && round + 1 < maxRounds)
            {
                // Another run changed a client ledger since it was read: read it again.
            }
            catch (ConcurrencyException ex) when (ex.FailedIndex is { } index && index >= ledgerWrites && dropQueueEntry)
            {
                // The queue entry is already gone: commit without it.
                dropQueueEntry = false;
            }
        }
    }
}

/// <summary>Settings of the run engine (app settings <c>Runs__*</c>).</summary>
public sealed record RunEngineOptions
{
    /// <summary>Waits before the MMS is asked again after it could not be reached; once they are used up the run fails.</summary>
    public IReadOnlyList<Duration> MmsRetryDelays { get; init; } =
        [Duration.FromMinutes(1), Duration.FromMinutes(5), Duration.FromMinutes(15), Duration.FromMinutes(60)];

    /// <summary>Waits before the gateway is asked again after it did not confirm a charge; then the run is parked.</summary>
    public IReadOnlyList<Duration> GatewayRetryDelays { get; init; } =
        [Duration.FromSeconds(30), Duration.FromMinutes(2), Duration.FromMinutes(10)];

    /// <summary>How long a parked run waits before its charge is checked again (with the same idempotency key).</summary>
    public Duration ParkFor { get; init; } = Duration.FromHours(1);

    /// <summary>Waits of a run whose schedule's earlier run is still charging (the last one repeats).</summary>
    /// <remarks>A run that stops blocking wakes the next one at once; these waits only cover a wake-up that was lost.</remarks>
    public IReadOnlyList<Duration> PredecessorWaits { get; init; } =
        [Duration.FromSeconds(5), Duration.FromSeconds(10), Duration.FromSeconds(30), Duration.FromSeconds(60)];

    /// <summary>A run stops waiting for an earlier run after this long (its message may be lost) and says so in the log.</summary>
    public Duration MaxPredecessorWait { get; init; } = Duration.FromHours(2);

    /// <summary>
    /// How long a gateway is trusted to remember an idempotency key. A run still unconfirmed after this asks the gateway
    /// for a charge made under its key before charging again (Stripe prunes keys after 24 h).
    /// </summary>
    public Duration IdempotencyKeyTrust { get; init; } = Duration.FromHours(20);

    /// <summary>A commit (one entity group transaction) holds at most 100 records: a run pays invoices of at most this many clients.</summary>
    public int MaxClientsPerRun { get; init; } = 90;

    /// <summary>Tries of a commit that met another run's change of the same client ledger before the run is sent again later.</summary>
    public int MaxCommitRetries { get; init; } = 8;

    /// <summary>The delay at position <paramref name="index"/> of <paramref name="delays"/>, the last one when past the end.</summary>
    public static Duration At(IReadOnlyList<Duration> delays, int index) => delays.Count == 0 ? Duration.Zero : delays[Math.Min(index, delays.Count - 1)];
}
