using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Runs;

namespace PayConnect.Functions.Runs;

/// <summary>Drains the runs queue on a timer (the Service Bus trigger is not in our feed; see docs/decisions/0001).</summary>
public sealed class RunDrainFunction(QueueDrain drain, QueueNames queues, RunProcessor runProcessor, DrainOptions drainOptions, ILogger<RunDrainFunction> logger)
{
    [Function("RunDrain")]
    public async Task Run([TimerTrigger("%RunDrainSchedule%")] TimerInfo timer, CancellationToken ct)
    {
        var result = await drain.DrainAsync(queues.Runs, runProcessor, drainOptions, ct);
        logger.LogInformation(
            "Run drain received {Received}: {Completed} completed, {Rescheduled} sent again later, {Abandoned} released, {DeadLettered} dead-lettered",
            result.Received, result.Completed, result.Rescheduled, result.Abandoned, result.DeadLettered);
    }
}
