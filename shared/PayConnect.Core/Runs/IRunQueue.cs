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

    /// <summary>The message id of this body sent again later: unique per generation, so duplicate detection keeps it.</summary>
    public string NextMessageId() => RunKey + "#g" + (Generation + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
