using NodaTime;
using PayConnect.Connect;
using PayConnect.Scheduling;

namespace PayConnect.Runs;

/// <summary>
/// The make-up rule of an up-to schedule (<see cref="MakeUpPolicy"/>): with <see cref="MakeUpPolicy.RollIntoNext"/>, a run
/// whose schedule's previous run failed for good may charge its cap plus what that run would have charged (its
/// allocation, or the cap when it failed before allocating). The allocator still pays only what is available after
/// every hold, so the larger cap can never make a run pay more than is owed.
/// </summary>
public sealed class MakeUp(RunLedger ledger)
{
    /// <summary>The cap in minor units for the run of <paramref name="runDate"/>; <paramref name="after"/> is the previous run's date when the fan-out named it.</summary>
    public async Task<long> CapAsync(string firmId, Schedule schedule, LocalDate runDate, LocalDate? after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var cap = schedule.CapMinor ?? 0;
        if (schedule.MakeUp != MakeUpPolicy.RollIntoNext || schedule.AmountRule != AmountRuleKind.UpTo
            || (after ?? PreviousRunDate(schedule, runDate)) is not { } previous)
        {
            return cap;
        }

        var earlier = await ledger.RunAsync(firmId, schedule.Id, previous, cancellationToken).ConfigureAwait(false);
        return earlier?.Value is { State: RunState.Failed } failed ? checked(cap + (failed.AmountMinor ?? cap)) : cap;
    }

    /// <summary>The occurrence of the schedule just before <paramref name="runDate"/>, or null for its first.</summary>
    public static LocalDate? PreviousRunDate(Schedule schedule, LocalDate runDate)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (!Frequency.TryParse(schedule.Frequency, out var frequency) || runDate <= schedule.FirstRunDate)
        {
            return null;
        }

        LocalDate? previous = null;
        foreach (var date in Recurrence.OccurrencesFrom(frequency, schedule.FirstRunDate, schedule.FirstRunDate))
        {
            if (date >= runDate)
            {
                break;
            }

            previous = date;
        }

        return previous;
    }
}
