using System.Collections.Concurrent;
using PayConnect.Mms;
using PayConnect.Notifications;
using PayConnect.Payments;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>The process died: what a crash looks like to the code that was running.</summary>
public sealed class SimulatedCrashException(string message) : Exception(message);

/// <summary>Table Storage going away mid-run: the Nth write (counting from 1) throws once, before it reaches the store.</summary>
public sealed class FlakyStore(IRecordStore inner, int failOnWrite) : IRecordStore
{
    private int _writes;

    public int Writes => _writes;

    public Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
        where T : IFirmRecord => inner.GetAsync<T>(firmId, key, cancellationToken);

    public Task<RecordPage<Stored<T>>> ListAsync<T>(string firmId, string keyPrefix, int pageSize, string? continuation, Func<T, bool>? filter, CancellationToken cancellationToken)
        where T : IFirmRecord => inner.ListAsync(firmId, keyPrefix, pageSize, continuation, filter, cancellationToken);

    public async Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.InsertAsync(firmId, record, cancellationToken);
    }

    public async Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.ReplaceAsync(firmId, record, ifMatch, cancellationToken);
    }

    public async Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.UpsertAsync(firmId, record, cancellationToken);
    }

    public async Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        return await inner.DeleteAsync<T>(firmId, key, ifMatch, cancellationToken);
    }

    public async Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        await inner.InsertAllAsync(firmId, records, cancellationToken);
    }

    public async Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        Write(T.Table);
        await inner.UpsertAllAsync(firmId, records, cancellationToken);
    }

    public async Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
    {
        Write(writes.Count > 0 ? writes[0].Table : "?");
        return await inner.CommitAsync(firmId, writes, cancellationToken);
    }

    private void Write(string table)
    {
        if (Interlocked.Increment(ref _writes) == failOnWrite)
        {
            throw new IOException($"Table Storage unavailable (injected on write {failOnWrite}, table {table}).");
        }
    }
}

/// <summary>Makes the charge, then dies before the caller can record it (the first time only).</summary>
public sealed class CrashAfterChargeGateway(IPaymentGateway inner) : IPaymentGateway
{
    private int _crashes;

    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        var result = await inner.ChargeAsync(request, cancellationToken);
        if (Interlocked.Increment(ref _crashes) == 1)
        {
            throw new SimulatedCrashException("Crashed after the gateway charged and before the run was recorded.");
        }

        return result;
    }

    public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) =>
        inner.FindChargeAsync(lookup, cancellationToken);

    public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

    public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

    public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
}

/// <summary>An MMS that does not answer.</summary>
public sealed class UnreachableMms(IMmsConnector inner) : IMmsConnector
{
    public Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken) =>
        inner.SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken);

    public Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken) => inner.FindAsync(firmId, scope, cancellationToken);

    public Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken) =>
        throw new MmsUnavailableException("Connection refused (injected).");
}

/// <summary>An email service that answers 500 for the first <paramref name="failures"/> sends, then accepts everything.</summary>
public sealed class FlakyEmailSender(int failures) : IEmailSender
{
    private int _calls;

    public ConcurrentQueue<EmailMessage> Accepted { get; } = new();

    public int Calls => _calls;

    public Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) <= failures)
        {
            throw new EmailTransientException("ACS answered 500 Internal Server Error (injected).");
        }

        Accepted.Enqueue(message);
        return Task.FromResult(EmailSendResult.Sent("ref-" + message.MessageId));
    }
}

/// <summary>A gateway that cannot be reached for its first <paramref name="failures"/> calls (nothing reaches the processor).</summary>
public sealed class UnreachableGateway(IPaymentGateway inner, int failures) : IPaymentGateway
{
    private int _calls;

    public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) =>
        Interlocked.Increment(ref _calls) <= failures
            ? throw new GatewayUnavailableException("Connection timed out (injected).")
            : inner.ChargeAsync(request, cancellationToken);

    public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) =>
        _calls < failures
            ? throw new GatewayUnavailableException("Connection timed out (injected).")
            : inner.FindChargeAsync(lookup, cancellationToken);

    public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

    public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

    public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
}
