using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Notifications.PayerNotices;

namespace PayConnect.Functions.Notifications;

/// <summary>Sends the pre-charge notices of runs whose lead has begun, and the expiry warnings of one-year authorizations.</summary>
public sealed class PayerNoticesFunction(PreChargeNotices notices, ILogger<PayerNoticesFunction> logger)
{
    [Function("PayerNotices")]
    public async Task Run([TimerTrigger("%PayerNoticesSchedule%")] TimerInfo timer, CancellationToken ct)
    {
        var result = await notices.SweepAsync(ct);
        logger.LogInformation(
            "Payer notices: read {EntriesRead} due-index entries, sent {NoticesSent} pre-charge notices and {ExpiryWarnings} expiry warnings; {Failed} schedules to retry",
            result.EntriesRead, result.NoticesSent, result.ExpiryWarnings, result.Failed);
    }
}
