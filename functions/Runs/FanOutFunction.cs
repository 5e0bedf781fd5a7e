using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Scheduling;

namespace PayConnect.Functions.Runs;

/// <summary>Sends every due Auto-Pay run (and every run missed while nothing ran) onto the runs queue.</summary>
public sealed class FanOutFunction(FanOut fanOut, ILogger<FanOutFunction> logger)
{
    [Function("FanOut")]
    public async Task Run([TimerTrigger("%FanOutSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var result = await fanOut.RunAsync(Guid.NewGuid().ToString("N"), cancellationToken);
        logger.LogInformation(
            "Fan-out sent {RunsSent} runs for {Schedules} schedules, read {EntitiesRead} entities over {Dates} dates; {Skipped} not yet due, {Failed} to retry (past due: {PastDue})",
            result.RunsSent, result.SchedulesAdvanced, result.EntitiesRead, result.DatesSwept, result.Skipped, result.Failed, timer.IsPastDue);
    }
}
