using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Scheduling;

namespace PayConnect.Functions.Runs;

/// <summary>Daily: compares every schedule with the due index and repairs what is missing or wrong (docs/decisions/0029).</summary>
public sealed class DueIndexReconciliationFunction(DueIndexReconciler reconciler, ILogger<DueIndexReconciliationFunction> logger)
{
    [Function("ReconcileDueIndex")]
    public async Task Run([TimerTrigger("%ReconciliationSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var result = await reconciler.ReconcileAsync(cancellationToken);
        logger.LogInformation(
            "Due-index reconciliation: {Schedules} schedules, {Entries} entries, {Repairs} repairs (past due: {PastDue})",
            result.SchedulesChecked, result.EntriesChecked, result.Repairs.Count, timer.IsPastDue);
    }
}
