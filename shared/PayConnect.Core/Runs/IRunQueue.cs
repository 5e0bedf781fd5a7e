using PayConnect.Scheduling;

namespace PayConnect.Runs;

/// <summary>Where due runs are sent: one message per run, its MessageId the run key (duplicate detection keys on it).</summary>
public interface IRunQueue
{
    Task SendAsync(IReadOnlyList<RunKey> runs, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a later attempt of runs (soft-decline retries, parked runs). Each carries its own MessageId, so the
    /// queue's duplicate detection does not drop it as a repeat of the first attempt.
    /// </summary>
    Task SendRetriesAsync(IReadOnlyList<RunRetryEntry> retries, CancellationToken cancellationToken);
}

/// <summary>The body of a run message.</summary>
public sealed record RunMessage(string RunKey);
