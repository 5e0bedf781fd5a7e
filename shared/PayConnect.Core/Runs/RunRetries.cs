using System.Globalization;
using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// A run to send again later — a soft-declined run waiting for its next attempt, or a run parked while the gateway
/// could not confirm its charge (same attempt, same idempotency key): an entry of an index kept under one fixed pseudo-firm
/// (<see cref="Partition"/>) and ordered by due instant, so the fan-out finds due retries with one partition query
/// instead of scanning every firm's runs.
/// </summary>
public sealed record RunRetryEntry(string FirmId, string RunKey, int Attempt, Instant DueAt) : IFirmRecord
{
    /// <summary>The pseudo firm id the index lives under; '~' cannot occur in a real firm id.</summary>
    public const string Partition = "~run-retries";

    public static string Table => "RunRetries";

    /// <summary>Due instant first (fixed-width ticks sort in time order), then the run and attempt.</summary>
    public string Key => DueAt.ToUnixTimeTicks().ToString("D20", CultureInfo.InvariantCulture) + "|" + RunKey + "|" + Attempt.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The Service Bus message id of this retry: not the run key itself, because duplicate detection would drop a
    /// second message with the run key, and fixed per entry, so a re-sent entry is still dropped as a duplicate.
    /// </summary>
    public string MessageId => RunKey + "#attempt-" + Attempt.ToString(CultureInfo.InvariantCulture) + "@" + DueAt.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture);

    /// <summary>The fan-out invocation sending this entry now, if any (a claim, like the due index's).</summary>
    public string? ClaimedBy { get; init; }

    public Instant? ClaimedAt { get; init; }

    /// <summary>The message body the run processor reads.</summary>
    public byte[] MessageBody() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new RunMessage(RunKey), RecordJson.Options);
}

/// <summary>
/// Due soft-decline retries. The processor registers one when it records a soft decline; the fan-out sends a message
/// for each due entry (<see cref="RunRetryEntry.MessageId"/>, <see cref="RunRetryEntry.MessageBody"/>) and then
/// removes it. An entry sent twice is harmless: the processor starts the new attempt once (ETag-checked).
/// </summary>
public sealed class RunRetries(IRecordStore store)
{
    public Task ScheduleAsync(RunRetryEntry entry, CancellationToken cancellationToken) =>
        store.UpsertAsync(RunRetryEntry.Partition, entry, cancellationToken);

    /// <summary>Entries due at <paramref name="now"/>, oldest first, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<RunRetryEntry>> DueAsync(Instant now, int max, CancellationToken cancellationToken)
    {
        var due = new List<RunRetryEntry>();
        await foreach (var entry in DueEntriesAsync(now, cancellationToken).ConfigureAwait(false))
        {
            if (due.Count == max)
            {
                break;
            }

            due.Add(entry.Value);
        }

        return due;
    }

    /// <summary>
    /// Claims the due entries no other invocation holds (a claim older than <paramref name="claimTimeout"/> is taken
    /// over), each by its ETag, so two fan-outs never both send one retry.
    /// </summary>
    public async Task<IReadOnlyList<Stored<RunRetryEntry>>> ClaimDueAsync(Instant now, int max, string invocationId, Duration claimTimeout, CancellationToken cancellationToken)
    {
        var claimed = new List<Stored<RunRetryEntry>>();
        await foreach (var entry in DueEntriesAsync(now, cancellationToken).ConfigureAwait(false))
        {
            if (claimed.Count == max)
            {
                break;
            }

            if (entry.Value.ClaimedBy is not null && entry.Value.ClaimedAt is { } at && now - at < claimTimeout)
            {
                continue;
            }

            try
            {
                claimed.Add(await store.ReplaceAsync(RunRetryEntry.Partition, entry.Value with { ClaimedBy = invocationId, ClaimedAt = now }, entry.ETag, cancellationToken).ConfigureAwait(false));
            }
            catch (ConcurrencyException)
            {
                // Another invocation claimed it first.
            }
        }

        return claimed;
    }

    /// <summary>Removes a claimed entry once its message is on the queue.</summary>
    public Task<bool> RemoveAsync(Stored<RunRetryEntry> claimed, CancellationToken cancellationToken) =>
        store.DeleteAsync<RunRetryEntry>(RunRetryEntry.Partition, claimed.Value.Key, claimed.ETag, cancellationToken);

    /// <summary>Releases a claim whose send failed, so the next tick sends it.</summary>
    public async Task ReleaseAsync(Stored<RunRetryEntry> claimed, CancellationToken cancellationToken)
    {
        try
        {
            await store.ReplaceAsync(RunRetryEntry.Partition, claimed.Value with { ClaimedBy = null, ClaimedAt = null }, claimed.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
        }
    }

    /// <summary>Removes an entry once its message is on the queue.</summary>
    public Task<bool> RemoveAsync(RunRetryEntry entry, CancellationToken cancellationToken) =>
        store.DeleteAsync<RunRetryEntry>(RunRetryEntry.Partition, entry.Key, null, cancellationToken);

    /// <summary>The entries due at <paramref name="now"/>, oldest first (keys start with the due instant).</summary>
    private async IAsyncEnumerable<Stored<RunRetryEntry>> DueEntriesAsync(Instant now, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<RunRetryEntry>(RunRetryEntry.Partition, string.Empty, 200, continuation, null, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items)
            {
                if (entry.Value.DueAt > now)
                {
                    yield break;
                }

                yield return entry;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);
    }
}
