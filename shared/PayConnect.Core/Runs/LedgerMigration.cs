using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Notifications;
using PayConnect.Postings;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>Marks a firm whose money records are in the ledger table (see <see cref="LedgerMigration"/>).</summary>
public sealed record LedgerMigrationMarker(Instant At, int Runs, int Postings, int Holds, int OutstandingInvoices, int Schedules) : IFirmRecord
{
    public static string Table => LedgerTable.Name;

    public string Key => "M~ledger-v2";
}

/// <summary>What one firm's migration moved.</summary>
public sealed record LedgerMigrationReport(int Runs, int Postings, int Holds, int OutstandingInvoices, int Schedules);

/// <summary>
/// Moves a firm's money records from the first engine's layout to the ledger: runs and postings into the ledger
/// table, the firm-wide allocation ledger's reservations and the postings it counted as unpaid (pending and, because
/// no posting status set by a person may make money payable again, failed ones) into per-client holds, the mirror's
/// outstanding invoices into their scope-keyed copies, and enrolled scopes onto schedules. Idempotent and resumable:
/// every write is an insert that tolerates an existing row or a replace of what is still there, and the marker is
/// written last. The engine calls <see cref="EnsureAsync"/> before any run of a firm.
/// </summary>
public sealed class LedgerMigration(IRecordStore store, IClock clock, ILogger<LedgerMigration> logger)
{
    private readonly ConcurrentDictionary<string, Task> _done = new(StringComparer.Ordinal);

    /// <summary>Migrates the firm unless it already is (remembered per process after the first check).</summary>
    public Task EnsureAsync(string firmId, CancellationToken cancellationToken)
    {
        var task = _done.GetOrAdd(firmId, id => CheckAsync(id));
        if (task.IsFaulted || task.IsCanceled)
        {
            _done.TryRemove(new KeyValuePair<string, Task>(firmId, task));
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task CheckAsync(string firmId)
    {
        try
        {
            if (await store.GetAsync<LedgerMigrationMarker>(firmId, new LedgerMigrationMarker(default, 0, 0, 0, 0, 0).Key, CancellationToken.None).ConfigureAwait(false) is null)
            {
                await MigrateAsync(firmId, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch
        {
            _done.TryRemove(firmId, out _);
            throw;
        }
    }

    public async Task<LedgerMigrationReport> MigrateAsync(string firmId, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var outstanding = await MirrorAsync(firmId, cancellationToken).ConfigureAwait(false);
        var schedules = await SchedulesAsync(firmId, cancellationToken).ConfigureAwait(false);
        var runs = (await AllAsync<LegacyRunRecord>(firmId, cancellationToken).ConfigureAwait(false)).Select(Map).Where(r => r is not null).Select(r => r!).ToList();
        var postings = (await AllAsync<LegacyPosting>(firmId, cancellationToken).ConfigureAwait(false)).Select(p => p.ToPosting()).ToList();

        foreach (var run in runs)
        {
            await InsertIfAbsentAsync(firmId, run, cancellationToken).ConfigureAwait(false);
        }

        foreach (var posting in postings)
        {
            await InsertIfAbsentAsync(firmId, posting, cancellationToken).ConfigureAwait(false);
        }

        var holds = await HoldsAsync(firmId, runs, postings, now, cancellationToken).ConfigureAwait(false);
        await InsertIfAbsentAsync(firmId, new LedgerMigrationMarker(now, runs.Count, postings.Count, holds, outstanding, schedules), cancellationToken).ConfigureAwait(false);
        logger.LogInformation(
            "Firm {FirmId} migrated to the ledger: {Runs} runs, {Postings} postings, {Holds} holds, {Outstanding} outstanding invoices, {Schedules} schedules",
            firmId, runs.Count, postings.Count, holds, outstanding, schedules);
        return new LedgerMigrationReport(runs.Count, postings.Count, holds, outstanding, schedules);
    }

    /// <summary>Money the first engine treated as unpaid-by-MMS becomes holds: in-flight runs' lines and unposted postings.</summary>
    private async Task<int> HoldsAsync(string firmId, List<RunRecord> runs, List<Posting> postings, Instant now, CancellationToken cancellationToken)
    {
        var wanted = new List<(string Client, string Invoice, string Matter, Hold Hold)>();
        foreach (var run in runs.Where(r => r.State is RunState.Allocated or RunState.Charged or RunState.AwaitingApproval))
        {
            foreach (var line in run.Lines)
            {
                wanted.Add((line.ClientNumber, line.InvoiceNumber, line.MatterNumber, new Hold(0, run.RunKey, line.AmountMinor, run.Currency!, run.UpdatedAt)
                {
                    Captured = run.State == RunState.Charged,
                    ChargeId = run.ChargeId,
                    Reference = line.Reference,
                }));
            }
        }

        foreach (var posting in postings.Where(p => p.State is PostingState.Pending or PostingState.Failed))
        {
            wanted.Add((posting.ClientNumber, posting.InvoiceNumber, posting.MatterNumber, new Hold(0, posting.RunKey, posting.AmountMinor, posting.Currency, posting.CreatedAt)
            {
                Captured = true,
                ChargeId = posting.ChargeId,
                Reference = posting.Reference,
            }));
        }

        var count = 0;
        foreach (var client in wanted.GroupBy(w => w.Client.ToUpperInvariant()))
        {
            var stored = await store.GetAsync<ClientLedger>(firmId, ClientLedger.KeyOf(client.Key), cancellationToken).ConfigureAwait(false);
            var ledger = stored?.Value ?? ClientLedger.Empty(client.First().Client, now);
            var invoices = ledger.Invoices.ToList();
            var seq = ledger.NextSeq;
            foreach (var byInvoice in client.GroupBy(w => w.Invoice.ToUpperInvariant()))
            {
                var at = invoices.FindIndex(i => i.InvoiceKey == byInvoice.Key);
                var existing = at < 0 ? [] : invoices[at].Holds;
                var added = byInvoice.Where(w => !existing.Any(h => h.RunKey == w.Hold.RunKey)).OrderBy(w => w.Hold.CreatedAt).Select(w => w.Hold with { Seq = seq++ }).ToList();
                if (added.Count == 0)
                {
                    continue;
                }

                // The balance when this money was taken is not known any more: anchor at today's mirror balance (the MMS
                // has not shown money the first engine still counted as pending), or, without one, at the amounts held,
                // so that they count until the invoice is paid off or its references are reported.
                var balance = (await store.GetAsync<MmsInvoice>(firmId, byInvoice.Key, cancellationToken).ConfigureAwait(false))?.Value.OutstandingMinor;
                invoices.Add(at < 0
                    ? new InvoiceHolds(byInvoice.First().Invoice, byInvoice.First().Matter, balance ?? added.Sum(h => h.AmountMinor), added)
                    : invoices[at] with { Holds = [.. existing, .. added] });
                if (at >= 0)
                {
                    invoices.RemoveAt(at);
                }

                count += added.Count;
            }

            await store.CommitAsync(firmId, [RecordWrite.Save(ledger with { Invoices = invoices, NextSeq = seq, UpdatedAt = now }, stored)], cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    private async Task<int> MirrorAsync(string firmId, CancellationToken cancellationToken)
    {
        var copies = (await AllAsync<MmsInvoice>(firmId, cancellationToken).ConfigureAwait(false))
            .Where(i => i.OutstandingMinor > 0).Select(i => RecordWrite.Upsert(new MmsOutstandingInvoice(i))).ToList();
        foreach (var chunk in copies.Chunk(100))
        {
            await store.CommitAsync(firmId, chunk, cancellationToken).ConfigureAwait(false);
        }

        return copies.Count;
    }

    private async Task<int> SchedulesAsync(string firmId, CancellationToken cancellationToken)
    {
        var count = 0;
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<Schedule>(firmId, string.Empty, 200, continuation,
                s => (s.EnrolledScopes.Count == 0 && s.EnrolledAssociationIds.Count > 0) || s.Charging is null, cancellationToken).ConfigureAwait(false);
            foreach (var schedule in page.Items)
            {
                var s = schedule.Value;
                var scopes = new List<EnrolledScope>();
                foreach (var id in s.EnrolledAssociationIds)
                {
                    if (await store.GetAsync<Association>(firmId, Association.KeyOf(s.PayerId, id), cancellationToken).ConfigureAwait(false) is { } association)
                    {
                        scopes.Add(EnrolledScope.Of(association.Value));
                    }
                }

                var method = await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(s.PayerId, s.PaymentMethodId), cancellationToken).ConfigureAwait(false);
                var deposit = await store.GetAsync<BankAccount>(firmId, s.BankAccountId, cancellationToken).ConfigureAwait(false);
                var charging = s.Charging ?? (method is null || deposit is null ? null : ScheduleCharging.Of(method.Value, deposit.Value));
                try
                {
                    await store.ReplaceAsync(firmId, s with { EnrolledScopes = s.EnrolledScopes.Count > 0 ? s.EnrolledScopes : scopes, Charging = charging }, schedule.ETag, cancellationToken).ConfigureAwait(false);
                    count++;
                }
                catch (ConcurrencyException)
                {
                    // Saved meanwhile through the API, which writes the scopes itself.
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return count;
    }

    private static RunRecord? Map(LegacyRunRecord old)
    {
        var key = Scheduling.RunKey.Parse(old.RunKey);
        var state = old.State switch
        {
            "Allocated" => RunState.Allocated,
            "Charged" => RunState.Charged,
            "Posted" => RunState.Posted,
            "NothingDue" => RunState.NothingDue,
            "Skipped" => RunState.Skipped,
            "Failed" when old.RetryOn is not null => RunState.AwaitingRetry,
            "Failed" => RunState.Failed,
            _ => (RunState?)null, // Started: nothing was allocated or charged; its message allocates afresh.
        };
        if (state is null)
        {
            return null;
        }

        var snapshot = old.PayerId is null || old.PaymentMethodId is null || old.PaymentMethodToken is null || old.BankAccountId is null || old.Currency is null
            ? null
            : new RunSnapshot(old.PayerId, old.PaymentMethodId, old.PaymentMethodToken, old.PaymentMethodKind ?? PaymentMethodKind.Card, old.BankAccountId, old.ArMessage, old.Currency);
        return new RunRecord(old.RunKey, key.ScheduleId, key.RunDate, state.Value, old.Attempt, old.CreatedAt, old.UpdatedAt)
        {
            Snapshot = snapshot,
            IdempotencyKey = old.IdempotencyKey,
            Lines = old.Lines.Select(l => new RunLine(l.InvoiceNumber, l.ClientNumber, l.MatterNumber, l.AmountMinor, l.AvailableMinor, PaymentReference.For(old.RunKey, l.InvoiceNumber))).ToList(),
            AmountMinor = old.AmountMinor,
            Currency = old.Currency,
            AllocatedAt = state is RunState.Allocated or RunState.Charged ? old.UpdatedAt : null,
            ChargeId = old.ChargeId,
            FailureCode = old.FailureCode,
            FailureReason = old.FailureReason,
            FirstAttemptOn = old.FirstAttemptOn,
            RetryOn = state == RunState.AwaitingRetry ? old.RetryOn : null,
            Notified = old.Notified ? [NotificationTypes.ErrorFailedAutoPay] : [],
        };
    }

    private async Task InsertIfAbsentAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        try
        {
            await store.InsertAsync(firmId, record, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException ex) when (ex.AlreadyExists)
        {
            // Moved by an earlier, interrupted migration (or written by the new engine since): keep what is there.
        }
    }

    private async Task<List<T>> AllAsync<T>(string firmId, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        var all = new List<T>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<T>(firmId, string.Empty, 1000, continuation, null, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return all;
    }
}

/// <summary>A line of a first-engine run record.</summary>
public sealed record LegacyRunLine(string InvoiceNumber, string ClientNumber, string MatterNumber, long AmountMinor, long AvailableMinor);

/// <summary>A run record of the first engine (table Runs), read only by <see cref="LedgerMigration"/>.</summary>
public sealed record LegacyRunRecord(string RunKey, string State, int Attempt, Instant CreatedAt, Instant UpdatedAt) : IFirmRecord
{
    public static string Table => "Runs";

    public string Key => Scheduling.RunKey.TryParse(RunKey, out var key) ? key.ScheduleId + "~" + NodaTime.Text.LocalDatePattern.Iso.Format(key.RunDate) : RunKey;

    public string? IdempotencyKey { get; init; }

    public string? PayerId { get; init; }

    public string? PaymentMethodId { get; init; }

    public string? PaymentMethodToken { get; init; }

    public PaymentMethodKind? PaymentMethodKind { get; init; }

    public string? BankAccountId { get; init; }

    public string? ArMessage { get; init; }

    public IReadOnlyList<LegacyRunLine> Lines { get; init; } = [];

    public long? AmountMinor { get; init; }

    public string? Currency { get; init; }

    public string? ChargeId { get; init; }

    public string? FailureCode { get; init; }

    public string? FailureReason { get; init; }

    public LocalDate? FirstAttemptOn { get; init; }

    public LocalDate? RetryOn { get; init; }

    public bool Notified { get; init; }
}

/// <summary>A posting of the first engine (table Postings), read only by <see cref="LedgerMigration"/>.</summary>
public sealed record LegacyPosting(
    string Id,
    string InvoiceNumber,
    string ClientNumber,
    string MatterNumber,
    long AmountMinor,
    string Currency,
    string RunKey,
    LocalDate RunDate,
    string ScheduleId,
    string PayerId,
    string ChargeId,
    string BankAccountId,
    string? ArMessage,
    PostingState State,
    int Version,
    IReadOnlyList<PostingAudit> Audit,
    Instant CreatedAt,
    Instant UpdatedAt) : IFirmRecord
{
    public static string Table => "Postings";

    public string Key => Id;

    public string? VoidReason { get; init; }

    public Posting ToPosting() =>
        new(Id, InvoiceNumber, ClientNumber, MatterNumber, AmountMinor, Currency, RunKey, RunDate, ScheduleId, PayerId, ChargeId, BankAccountId, ArMessage, State, Version, Audit, CreatedAt, UpdatedAt)
        {
            VoidReason = VoidReason,
            Reference = PaymentReference.For(RunKey, InvoiceNumber),
        };
}
