namespace PayConnect.Integration.Tests.Simulation.Model;

/// <summary>
/// The engine may do the runs of a settle in any order SPEC allows: runs of one schedule allocate in date order and never
/// while an earlier run of the schedule is between allocation and the end of its charge attempt; anything else may
/// interleave (a decline of one payer's run can happen before or after another payer's run on the same client read the
/// invoices). The search tries those orders on copies of the model, pruning as soon as a run comes out differently from
/// what the product shows, and adopts the first order under which every run matches. Runs of clients no other run
/// touches are independent, so each group of runs sharing clients is searched on its own.
/// </summary>
public static class SettleSearch
{
    public sealed record Result(FirmModel? Firm, string Diagnosis);

    public static Result Match(FirmModel firm, IReadOnlyList<WorkItem> work, SettleConditions conditions, EngineSettings settings, Func<string, DateOnly, IObservedRun?> observed, int budget = 200_000)
    {
        var current = firm;
        foreach (var group in Groups(firm, work))
        {
            var search = new Search(group, conditions, settings, observed, budget);
            var found = search.Run(current);
            if (found is null)
            {
                return new Result(null, search.Diagnose(current));
            }

            current = found;
        }

        return new Result(current, string.Empty);
    }

    /// <summary>Work items grouped by the clients their schedules' scopes reach (connected through shared clients).</summary>
    private static List<List<WorkItem>> Groups(FirmModel firm, IReadOnlyList<WorkItem> work)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        string Find(string x)
        {
            while (parent.TryGetValue(x, out var p) && p != x)
            {
                x = p;
            }

            return x;
        }

        foreach (var schedule in work.Select(w => firm.Schedules[w.ScheduleId]).Distinct())
        {
            var clients = schedule.Enrolled.Select(a => "c:" + a.Client).Distinct().ToList();
            parent.TryAdd("s:" + schedule.Id, "s:" + schedule.Id);
            foreach (var client in clients)
            {
                parent.TryAdd(client, client);
                var a = Find("s:" + schedule.Id);
                var b = Find(client);
                if (a != b)
                {
                    parent[a] = b;
                }
            }
        }

        return work.GroupBy(w => Find("s:" + w.ScheduleId)).Select(g => g.ToList()).ToList();
    }

    private enum Stage
    {
        Waiting,
        Charging,
        Done,
    }

    private sealed class Search(List<WorkItem> items, SettleConditions conditions, EngineSettings settings, Func<string, DateOnly, IObservedRun?> observed, int budget)
    {
        private int _spent;

        public FirmModel? Run(FirmModel start) => Explore(start.Clone(), new Stage[items.Count]);

        /// <summary>The plain order (each run allocated and charged before the next), with what differs from the product.</summary>
        public string Diagnose(FirmModel start)
        {
            var firm = start.Clone();
            var stages = new Stage[items.Count];
            var lines = new List<string>();
            while (true)
            {
                var move = Moves(stages).FirstOrDefault(-1);
                if (move < 0)
                {
                    break;
                }

                var (next, nextStages, _) = Apply(firm, stages, move, prune: false);
                (firm, stages) = (next, nextStages);
            }

            foreach (var item in items.DistinctBy(i => (i.ScheduleId, i.Date)))
            {
                var run = firm.Schedules[item.ScheduleId].Runs.GetValueOrDefault(item.Date);
                var seen = observed(item.ScheduleId, item.Date);
                var difference = run is null ? "the model has no run" : RunComparison.Differences(run, seen, full: true);
                lines.Add($"  {item}: {(difference is null ? "matches" : difference)}\n    model:   {run}\n    product: {seen?.ToString() ?? "(no run)"}");
            }

            return $"No order of this settle's {items.Count} runs (searched {_spent} moves) gives what the product shows. In date order:\n{string.Join("\n", lines)}";
        }

        private FirmModel? Explore(FirmModel firm, Stage[] stages)
        {
            if (stages.All(s => s == Stage.Done))
            {
                return firm;
            }

            foreach (var move in Moves(stages))
            {
                if (++_spent > budget)
                {
                    return null;
                }

                var (next, nextStages, matches) = Apply(firm, stages, move, prune: true);
                if (matches && Explore(next, nextStages) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        /// <summary>Runs that may move now: finishing a charge first, then the waiting ones SPEC's order lets allocate.</summary>
        private IEnumerable<int> Moves(Stage[] stages)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (stages[i] == Stage.Charging)
                {
                    yield return i;
                }
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (stages[i] != Stage.Waiting)
                {
                    continue;
                }

                var item = items[i];
                var earlierCharging = Enumerable.Range(0, items.Count).Any(j =>
                    stages[j] == Stage.Charging && items[j].ScheduleId == item.ScheduleId && items[j].Date < item.Date);
                var earlierNewWaiting = item.Kind == WorkKind.NewRun && Enumerable.Range(0, items.Count).Any(j =>
                    stages[j] == Stage.Waiting && items[j].Kind == WorkKind.NewRun && items[j].ScheduleId == item.ScheduleId && items[j].Date < item.Date);
                var allowed = item.Kind switch
                {
                    WorkKind.ApprovedCharge or WorkKind.ParkedRecheck => true,
                    WorkKind.RetryAttempt => !earlierCharging,
                    _ => !earlierCharging && !earlierNewWaiting,
                };
                if (allowed)
                {
                    yield return i;
                }
            }
        }

        private (FirmModel Firm, Stage[] Stages, bool Matches) Apply(FirmModel firm, Stage[] stages, int index, bool prune)
        {
            var next = firm.Clone();
            var nextStages = (Stage[])stages.Clone();
            var item = items[index];
            var schedule = next.Schedules[item.ScheduleId];
            if (stages[index] == Stage.Charging || item.Kind is WorkKind.ApprovedCharge or WorkKind.ParkedRecheck)
            {
                ModelEngine.Finish(next, schedule, schedule.Runs[item.Date], conditions, settings);
                nextStages[index] = Stage.Done;
            }
            else if (ModelEngine.Allocate(next, schedule, item, conditions, settings))
            {
                var run = schedule.Runs[item.Date];
                if (ModelEngine.PredictFinish(next, schedule, run, conditions) == FinishKind.KeepsMoneyHeld)
                {
                    // Capturing or parking changes nobody else's availability: no need to try it later.
                    ModelEngine.Finish(next, schedule, run, conditions, settings);
                    nextStages[index] = Stage.Done;
                }
                else
                {
                    nextStages[index] = Stage.Charging;
                }
            }
            else
            {
                nextStages[index] = Stage.Done;
            }

            if (!prune)
            {
                return (next, nextStages, true);
            }

            var predicted = schedule.Runs[item.Date];
            var seen = observed(item.ScheduleId, item.Date);
            var difference = RunComparison.Differences(predicted, seen, full: nextStages[index] == Stage.Done);
            return (next, nextStages, difference is null);
        }
    }
}

/// <summary>A run as the product shows it, for comparing with the model's.</summary>
public interface IObservedRun
{
    string State { get; }

    int Attempt { get; }

    IReadOnlyList<(string Invoice, long Amount)> LineAmounts { get; }

    string? FailureCode { get; }

    DateOnly? RetryOn { get; }

    DateTimeOffset? ParkedUntil { get; }
}

/// <summary>What differs between the model's run and the product's.</summary>
public static class RunComparison
{
    /// <param name="predicted">The model's run.</param>
    /// <param name="observed">The product's run (null when it has none).</param>
    /// <param name="full">False while the model's run is still charging: only its attempt and lines are known.</param>
    public static string? Differences(RunModel predicted, IObservedRun? observed, bool full)
    {
        if (observed is null)
        {
            return "the product has no run";
        }

        var differences = new List<string>();
        if (predicted.Status != RunStatus.Skipped && predicted.Attempt != observed.Attempt)
        {
            differences.Add($"attempt {observed.Attempt}, expected {predicted.Attempt}");
        }

        var lines = predicted.Lines.Select(l => (l.Invoice, l.Amount)).ToList();
        if (!lines.SequenceEqual(observed.LineAmounts))
        {
            differences.Add($"lines [{string.Join(", ", observed.LineAmounts.Select(l => $"{l.Invoice}={l.Amount}"))}], expected [{string.Join(", ", lines.Select(l => $"{l.Invoice}={l.Amount}"))}]");
        }

        if (full)
        {
            if (predicted.Status.ToString() != observed.State)
            {
                differences.Add($"state {observed.State}, expected {predicted.Status}");
            }

            if (predicted.Status is RunStatus.Failed or RunStatus.Skipped or RunStatus.AwaitingRetry && predicted.Code != observed.FailureCode)
            {
                differences.Add($"code {observed.FailureCode ?? "none"}, expected {predicted.Code}");
            }

            if (predicted.RetryOn != observed.RetryOn)
            {
                differences.Add($"retry on {observed.RetryOn?.ToString() ?? "none"}, expected {predicted.RetryOn?.ToString() ?? "none"}");
            }

            if (predicted.ParkedUntil != observed.ParkedUntil)
            {
                differences.Add($"parked until {observed.ParkedUntil?.ToString("u") ?? "none"}, expected {predicted.ParkedUntil?.ToString("u") ?? "none"}");
            }
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }
}
