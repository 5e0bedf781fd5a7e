using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Notifications.PayerNotices;

namespace PayConnect.Functions.Notifications;

/// <summary>Sends each firm's daily digest of runs charged, failed and waiting, once its day is over.</summary>
public sealed class RunSummaryFunction(RunDigest digest, ILogger<RunSummaryFunction> logger)
{
    [Function("RunSummary")]
    public async Task Run([TimerTrigger("%RunSummarySchedule%")] TimerInfo timer, CancellationToken ct)
    {
        var result = await digest.SweepAsync(ct);
        logger.LogInformation("Run summary: {Firms} firms read, {Digests} digests enqueued", result.Firms, result.Digests);
    }
}
