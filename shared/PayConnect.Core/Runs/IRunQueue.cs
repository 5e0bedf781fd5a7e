using NodaTime;
using PayConnect.Scheduling;

namespace PayConnect.Runs;

/// <summary>
/// One run to send: its key, and the run of the same schedule sent just before it (it waits for that one). The message
/// id is the run key (duplicate detection drops a second fan-out of the run) unless <paramref name="MessageId"/> says
/// otherwise (a wake-up sent when the earlier run finished).
/// </summary>
public sealed record RunDispatch(RunKey Key, LocalDate? After, string? MessageId = null);

/// <summary>Where due runs are sent: one message per run, its MessageId the run key (duplicate detection keys on it).</summary>
public interface IRunQueue
{
    Task SendAsync(IReadOnlyList<RunDispatch> runs, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a later attempt of runs (soft-decline retries, parked runs, approved runs). Each carries its own MessageId,
    /// so the queue's duplicate detection does not drop it as a repeat of the first attempt.
    /// </summary>
    Task SendRetriesAsync(IReadOnlyList<RunRetryEntry> retries, CancellationToken cancellationToken);
}

/// <summary>
/// The body of a run message. The fan-out sends <see cref="RunKey"/> and <see cref="After"/>; a delivery that must wait
/// (an unreachable MMS or gateway, an earlier run still charging) sends itself again later with the rest filled in.
/// </summary>
public sealed record RunMessage(string RunKey)
{
    /// <summary>The run of the same schedule sent just before this one; this run does not allocate while that one is charging.</summary>
    public LocalDate? After { get; init; }

    /// <summary>How many times this delivery has been sent again later (0 for the fan-out's message).</summary>
    public int Generation { get; init; }

    /// <summary>Each time the MMS could not be reached for this run, oldest first.</summary>
    public IReadOnlyList<RunEvent> MmsFailures { get; init; } = [];

    /// <summary>Times in a row the gateway did not confirm this run's charge.</summary>
    public int GatewayFailures { get; init; }

    /// <summary>The gateway said a retry under the same key would only replay its failure: look the charge up first.</summary>
    public bool LookUpFirst { get; init; }

    /// <summary>When the run began waiting for the run before it (it stops waiting after a while, and says so).</summary>
    public Instant? WaitingSince { get; init; }

    /// <summary>
    /// The message id of this body sent again later: the id of the chain of deliveries it continues (the delivered
    /// message's id without its generation) and the next generation. Unique per generation, so duplicate detection keeps
    /// it; unique per chain, so a later chain of the same run (its retry, its approval, a wake-up) never reuses an id of an
    /// earlier one still inside the queue's duplicate-detection window; the same for two deliveries of one message, so
    /// only one delayed copy of them is kept.
    /// </summary>
    /// <param name="deliveredMessageId">The id of the message being delivered.</param>
    public string NextMessageId(string deliveredMessageId)
    {
        var chain = deliveredMessageId;
        var at = chain.LastIndexOf("#g", StringComparison.Ordinal);
        if (at > 0 && at + 2 < chain.Length && chain.AsSpan(at + 2).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            chain = chain[..at];
        }

        return chain + "#g" + (Generation + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
