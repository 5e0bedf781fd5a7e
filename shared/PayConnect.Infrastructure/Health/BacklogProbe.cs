using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Notifications;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Infrastructure.Health;

/// <summary>
/// What is piling up, read cheaply: dead-lettered run messages, how long the oldest due run has waited to be sent (due
/// lag), and the email outbox. Each figure is null when its read failed. Counts stop at their limits (then they are
/// lower bounds and <c>...Complete</c> is false), so a flood costs a bounded read.
/// </summary>
public sealed record BacklogReading(
    Instant ReadAt,
    int? DeadLetterDepth,
    bool DeadLetterDepthComplete,
    Duration? DueLag,
    int? OutboxPending,
    Duration? OutboxOldestAge)
{
    /// <summary>The thresholds past which on-call is alerted (infra/modules/alerts.bicep uses the same defaults).</summary>
    public static readonly Duration DueLagLimit = Duration.FromHours(1);

    /// <inheritdoc cref="DueLagLimit"/>
    public static readonly Duration OutboxAgeLimit = Duration.FromHours(1);

    /// <summary>What is past its threshold, by the names <c>/api/health</c> reports them under.</summary>
    public IReadOnlyList<string> Degraded =>
    [
        .. DeadLetterDepth > 0 ? ["deadLetterDepth"] : Array.Empty<string>(),
        .. DueLag > DueLagLimit ? ["dueLag"] : Array.Empty<string>(),
        .. OutboxOldestAge > OutboxAgeLimit ? ["outboxBacklog"] : Array.Empty<string>(),
    ];
}

/// <summary>
/// Reads the backlog for <c>/api/health</c> and the observable gauges (<see cref="Observability.BacklogGauges"/>), and keeps
/// the latest reading for the gauges to report between reads.
/// </summary>
public sealed class BacklogProbe(
    ServiceBusClient serviceBus,
    QueueNames queues,
    DueIndex dueIndex,
    RunRetries retries,
    NotificationOutbox outbox,
    IClock clock,
    ILogger<BacklogProbe> logger)
{
    /// <summary>Dead-lettered messages counted at most (peeked in pages).</summary>
    public const int MaxDeadLetters = 1000;

    /// <summary>Due-index and outbox entries read at most.</summary>
    public const int MaxEntries = 5000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private BacklogReading? _last;

    /// <summary>The latest reading, if any.</summary>
    public BacklogReading? Last => Volatile.Read(ref _last);

    public async Task<BacklogReading> ReadAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var deadLetters = TryAsync("deadLetterDepth", DeadLetterDepthAsync, cancellationToken);
        var dueLag = TryAsync("dueLag", ct => DueLagAsync(now, ct), cancellationToken);
        var backlog = TryAsync("outboxBacklog", ct => outbox.BacklogAsync(MaxEntries, ct), cancellationToken);
        await Task.WhenAll(deadLetters, dueLag, backlog).ConfigureAwait(false);

        var (depthRead, (depth, complete)) = deadLetters.Result;
        var (lagRead, lag) = dueLag.Result;
        var (backlogRead, pending) = backlog.Result;
        var reading = new BacklogReading(
            now,
            depthRead ? depth : null,
            depthRead && complete,
            lagRead ? lag : null,
            backlogRead ? pending!.Pending : null,
            backlogRead ? pending!.OldestSince is { } since ? Max(now - since, Duration.Zero) : Duration.Zero : null);
        Volatile.Write(ref _last, reading);
        return reading;
    }

    /// <summary>Peeks the runs queue's dead-letter sub-queue (receive rights are enough; no management call).</summary>
    private async Task<(int, bool)> DeadLetterDepthAsync(CancellationToken cancellationToken)
    {
        await using var receiver = serviceBus.CreateReceiver(queues.Runs, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        var count = 0;
        long? from = null;
        while (count < MaxDeadLetters)
        {
            var page = await receiver.PeekMessagesAsync(Math.Min(250, MaxDeadLetters - count), from, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return (count, true);
            }

            count += page.Count;
            from = page[^1].SequenceNumber + 1;
        }

        return (count, false);
    }

    /// <summary>Now less when the oldest unsent due run became due: a due-index entry or a retry-index entry.</summary>
    private async Task<Duration> DueLagAsync(Instant now, CancellationToken cancellationToken)
    {
        var (indexed, _) = await dueIndex.OldestUnsentAsync(now, MaxEntries, cancellationToken).ConfigureAwait(false);
        var retry = (await retries.DueAsync(now, 1, cancellationToken).ConfigureAwait(false)).FirstOrDefault()?.DueAt;
        Instant? oldest = indexed is null ? retry : retry is null ? indexed : Instant.Min(indexed.Value, retry.Value);
        return oldest is { } since ? Max(now - since, Duration.Zero) : Duration.Zero;
    }

    private async Task<(bool Read, T Value)> TryAsync<T>(string name, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return (true, await read(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Backlog reading {Reading} failed: {ErrorType}", name, ex.GetType().Name);
            return (false, default!);
        }
    }

    private static Duration Max(Duration a, Duration b) => a > b ? a : b;
}
