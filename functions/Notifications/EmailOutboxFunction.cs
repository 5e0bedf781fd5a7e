using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Notifications;

namespace PayConnect.Functions.Notifications;

/// <summary>Sends pending Error-Failed AutoPay emails; transient failures stay in the outbox for a later tick.</summary>
public sealed class EmailOutboxFunction(OutboxSender sender, ILogger<EmailOutboxFunction> logger)
{
    [Function("EmailOutbox")]
    public async Task Run([TimerTrigger("%EmailOutboxSchedule%")] TimerInfo timer, CancellationToken ct)
    {
        var report = await sender.SendPendingAsync(ct);
        logger.LogInformation(
            "Email outbox: {Sent} sent, {Deferred} deferred, {Rejected} rejected, {NotDue} not due",
            report.Sent, report.Deferred, report.Rejected, report.NotDue);
    }
}
