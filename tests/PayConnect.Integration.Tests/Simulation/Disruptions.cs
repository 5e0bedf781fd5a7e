using PayConnect.Mms;
using PayConnect.Payments;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>
/// Table Storage failing some writes while armed: before the write reaches the store (nothing written), or after it
/// (written, but the caller sees the request fail, as when a response is lost). Only reads pass untouched.
/// </summary>
public sealed class FaultyRecordStore(IRecordStore inner, int seed) : IRecordStore
{
    private readonly Random _random = new(seed);
    private readonly object _gate = new();
    private int _injected;

    /// <summary>Probability that a write fails while armed (0 disarms).</summary>
    public double FailureRate { get; set; }

    public int Injected => _injected;

    public Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord => inner.GetAsync<T>(firmId, key, cancellationToken);

    public Task<RecordPage<Stored<T>>> ListAsync<T>(string firmId, string keyPrefix, int pageSize, string? continuation, Func<T, bool>? filter, CancellationToken cancellationToken)
        where T : IFirmRecord => inner.ListAsync(firmId, keyPrefix, pageSize, continuation, filter, cancellationToken);

    public Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord => WriteAsync(T.Table, () => inner.InsertAsync(firmId, record, cancellationToken));

    public Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord => WriteAsync(T.Table, () => inner.ReplaceAsync(firmId, record, ifMatch, cancellationToken));

    public Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord => WriteAsync(T.Table, () => inner.UpsertAsync(firmId, record, cancellationToken));

    public Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord => WriteAsync(T.Table, () => inner.DeleteAsync<T>(firmId, key, ifMatch, cancellationToken));

    public Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => WriteAsync(T.Table, async () =>
        {
            await inner.InsertAllAsync(firmId, records, cancellationToken);
            return true;
        });

    public Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord => WriteAsync(T.Table, async () =>
        {
            await inner.UpsertAllAsync(firmId, records, cancellationToken);
            return true;
        });

    public Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken) =>
        WriteAsync(writes.Count > 0 ? writes[0].Table : "?", () => inner.CommitAsync(firmId, writes, cancellationToken));

    private async Task<TResult> WriteAsync<TResult>(string table, Func<Task<TResult>> write)
    {
        var (fail, afterWrite) = Decide();
        if (fail && !afterWrite)
        {
            throw new IOException($"Table Storage unavailable (injected before a write to {table}).");
        }

        var result = await write();
        if (fail)
        {
            throw new IOException($"Table Storage response lost (injected after a write to {table}).");
        }

        return result;
    }

    private (bool Fail, bool AfterWrite) Decide()
    {
        lock (_gate)
        {
            if (FailureRate <= 0 || _random.NextDouble() >= FailureRate)
            {
                return (false, false);
            }

            _injected++;
            return (true, _random.Next(2) == 0);
        }
    }
}

/// <summary>The firm's MMS, unreachable while <see cref="Down"/> is set (invoice queries only: a run's read).</summary>
public sealed class SwitchableMms
{
    public volatile bool Down;

    public IMmsConnector Around(IMmsConnector inner) => new Connector(this, inner);

    private sealed class Connector(SwitchableMms owner, IMmsConnector inner) : IMmsConnector
    {
        public Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken) =>
            inner.SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken);

        public Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken) => inner.FindAsync(firmId, scope, cancellationToken);

        public Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken) =>
            owner.Down ? throw new MmsUnavailableException("Connection refused (injected).") : inner.OutstandingInvoicesAsync(firmId, scopes, cancellationToken);
    }
}

/// <summary>A gateway that cannot be reached while <see cref="Down"/> is set: nothing reaches the processor.</summary>
public sealed class SwitchableGateway
{
    public volatile bool Down;

    public IPaymentGateway Around(IPaymentGateway inner) => new Gateway(this, inner);

    private sealed class Gateway(SwitchableGateway owner, IPaymentGateway inner) : IPaymentGateway
    {
        public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) =>
            owner.Down ? throw new GatewayUnavailableException("Connection timed out (injected).") : inner.ChargeAsync(request, cancellationToken);

        public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) =>
            owner.Down ? throw new GatewayUnavailableException("Connection timed out (injected).") : inner.FindChargeAsync(lookup, cancellationToken);

        public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

        public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) =>
            owner.Down ? throw new GatewayUnavailableException("Connection timed out (injected).") : inner.RefundAsync(request, cancellationToken);

        public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) =>
            owner.Down ? throw new GatewayUnavailableException("Connection timed out (injected).") : inner.RecoverChargebackAsync(request, cancellationToken);
    }
}
