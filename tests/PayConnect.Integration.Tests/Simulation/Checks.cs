using PayConnect.Integration.Tests.Simulation.Model;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>
/// What is checked after every step: the product against the model's prediction (every occurrence run exactly once with
/// the outcome SPEC gives it, schedules ending only after their last run), and SPEC §4's invariants on what the product
/// shows, whatever the model says (one charge per run key, Σ postings = charge, no invoice paid beyond what it owed,
/// up-to caps, oldest-first order, one failure email per failed run per subscriber).
/// </summary>
public static class Checks
{
    private static readonly HashSet<string> FinalStates = ["Posted", "NothingDue", "Failed", "Skipped"];

    public static List<string> All(WorldModel world, ProductView view)
    {
        var problems = new List<string>();
        foreach (var firm in world.Firms)
        {
            foreach (var schedule in firm.Schedules.Values)
            {
                ScheduleAndRuns(firm, schedule, view.Schedules[schedule.Id], problems);
            }

            Postings(firm, view.PostingsByFirm[firm.Id], problems);
            Money(firm, view, problems);
        }

        Charges(world, view, problems);
        Emails(world, view, problems);
        if (view.DeadLettered > 0)
        {
            problems.Add($"{view.DeadLettered} run messages were dead-lettered (a run lost).");
        }

        return problems;
    }

    /// <summary>Each occurrence of the lifetime due by now ran once, none twice, none outside it; runs and the schedule as predicted.</summary>
    private static void ScheduleAndRuns(FirmModel firm, ScheduleModel schedule, ObservedSchedule observed, List<string> problems)
    {
        var where = $"{firm.Id} schedule {schedule.Id}";
        foreach (var date in observed.Runs.Keys.Except(schedule.Runs.Keys).Order())
        {
            problems.Add($"{where}: run {ModelCalendar.Iso(date)} exists but is no occurrence due in the lifetime (outside it, during a pause, before a timing change, or run twice): {observed.Runs[date]}");
        }

        foreach (var date in schedule.Runs.Keys.Except(observed.Runs.Keys).Order())
        {
            problems.Add($"{where}: occurrence {ModelCalendar.Iso(date)} is due and should have run once; the product has no run (model: {schedule.Runs[date]})");
        }

        foreach (var (date, run) in schedule.Runs)
        {
            if (observed.Runs.TryGetValue(date, out var seen))
            {
                if (RunComparison.Differences(run, seen, full: true) is { } difference)
                {
                    problems.Add($"{where}: run {ModelCalendar.Iso(date)}: {difference}\n    model:   {run}\n    product: {seen}");
                }
                else if (run.Status == RunStatus.Skipped && run.Code != "payment_method_changed" && run.SkippedBy != seen.SkippedBy)
                {
                    problems.Add($"{where}: run {ModelCalendar.Iso(date)} was skipped by {seen.SkippedBy ?? "nobody"}, expected {run.SkippedBy}");
                }
            }
        }

        if (schedule.Status.ToString() != observed.State)
        {
            var unfinished = schedule.Runs.Values.Where(r => !r.IsFinal).ToList();
            problems.Add($"{where}: state {observed.State} ({observed.EndReason ?? "-"}), expected {schedule.Status} ({schedule.EndedAs?.ToString() ?? "-"})"
                + (unfinished.Count > 0 ? $"; unfinished runs: {string.Join(", ", unfinished)}" : string.Empty)
                + (schedule.NextRunDate is { } next ? $"; next occurrence {ModelCalendar.Iso(next)}" : "; no occurrence left"));
        }
        else if (schedule.Status == ScheduleStatus.Ended && schedule.EndedAs?.ToString() != observed.EndReason)
        {
            problems.Add($"{where}: ended as {observed.EndReason}, expected {schedule.EndedAs}");
        }

        if (schedule.NextRunDate != observed.NextRunDate)
        {
            problems.Add($"{where}: next run date {observed.NextRunDate?.ToString() ?? "none"}, expected {schedule.NextRunDate?.ToString() ?? "none"}");
        }

        if (observed.State == "Ended" && observed.EndReason != "Staff")
        {
            foreach (var run in observed.Runs.Values.Where(r => !FinalStates.Contains(r.State)))
            {
                problems.Add($"{where}: Ended ({observed.EndReason}) while its run {ModelCalendar.Iso(run.Date)} is still {run.State} (SPEC §1: only after its last run has finished)");
            }
        }
    }

    /// <summary>One posting per paid invoice of each posted run, with the amounts and the states staff gave them.</summary>
    private static void Postings(FirmModel firm, List<ObservedPosting> observed, List<string> problems)
    {
        var seen = observed.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (key, postings) in seen)
        {
            if (postings.Count > 1)
            {
                problems.Add($"{firm.Id}: {postings.Count} postings for {key}");
            }

            if (!firm.Postings.TryGetValue(key, out var expected))
            {
                problems.Add($"{firm.Id}: posting {key} of {postings[0].Amount} exists; the model has none");
            }
            else if (expected.Amount != postings[0].Amount || expected.Status.ToString() != postings[0].State)
            {
                problems.Add($"{firm.Id}: posting {key} is {postings[0].Amount} {postings[0].State}, expected {expected.Amount} {expected.Status}");
            }
        }

        foreach (var key in firm.Postings.Keys.Where(k => !seen.ContainsKey(k)))
        {
            problems.Add($"{firm.Id}: posting {key} is missing");
        }
    }

    /// <summary>Σ postings = charge; no invoice paid beyond what it owed; caps; oldest first; full before partial.</summary>
    private static void Money(FirmModel firm, ProductView view, List<string> problems)
    {
        var postings = view.PostingsByFirm[firm.Id];
        var byRun = postings.GroupBy(p => p.RunKey).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var schedule in firm.Schedules.Values)
        {
            foreach (var run in view.Schedules[schedule.Id].Runs.Values)
            {
                var key = $"{firm.Id}/{schedule.Id}/{ModelCalendar.Iso(run.Date)}";
                var where = $"{firm.Id} run {key}";
                var mine = byRun.GetValueOrDefault(key) ?? [];
                if (run.State == "Posted")
                {
                    if (mine.Sum(p => p.Amount) != run.Amount || run.Amount != run.Lines.Sum(l => l.Amount))
                    {
                        problems.Add($"{where}: Σ postings {mine.Sum(p => p.Amount)} ≠ its charge {run.Amount} (lines {run.Lines.Sum(l => l.Amount)})");
                    }

                    if (!mine.Select(p => (p.Invoice, p.Amount)).Order().SequenceEqual(run.Lines.Select(l => (l.Invoice, l.Amount)).Order()))
                    {
                        problems.Add($"{where}: postings [{string.Join(", ", mine.Select(p => $"{p.Invoice}={p.Amount}"))}] are not its lines");
                    }

                    if (mine.Any(p => p.ChargeId != run.ChargeId))
                    {
                        problems.Add($"{where}: a posting names another charge than the run's {run.ChargeId}");
                    }
                }
                else if (mine.Count > 0)
                {
                    problems.Add($"{where}: {run.State} but has {mine.Count} postings");
                }

                var model = schedule.Runs.GetValueOrDefault(run.Date);
                if (model?.CapAtAllocation is { } cap && run.Lines.Sum(l => l.Amount) > cap)
                {
                    problems.Add($"{where}: up-to run pays {run.Lines.Sum(l => l.Amount)}, above its cap {cap}");
                }

                var order = run.Lines.Select(l => firm.Invoices.GetValueOrDefault(l.Invoice)).ToList();
                if (order.Any(i => i is null))
                {
                    problems.Add($"{where}: pays an invoice outside the firm's MMS");
                    continue;
                }

                var oldestFirst = order.OrderBy(i => i!.InvoiceDate).ThenBy(i => i!.DueDate).ThenBy(i => i!.Number, StringComparer.Ordinal).ToList();
                if (!order.SequenceEqual(oldestFirst))
                {
                    problems.Add($"{where}: lines not oldest first: {string.Join(", ", order.Select(i => $"{i!.Number}({ModelCalendar.Iso(i.InvoiceDate)}/{ModelCalendar.Iso(i.DueDate)})"))}");
                }

                if (model is { Approved: false })
                {
                    for (var i = 0; i < run.Lines.Count - 1; i++)
                    {
                        if (run.Lines[i].Amount != run.Lines[i].Available)
                        {
                            problems.Add($"{where}: line {run.Lines[i].Invoice} pays {run.Lines[i].Amount} of {run.Lines[i].Available} available before paying a later invoice");
                        }
                    }
                }
            }
        }

        foreach (var (number, paid) in postings.GroupBy(p => p.Invoice).Select(g => (g.Key, g.Sum(p => p.Amount))))
        {
            var invoice = firm.Invoices[number];
            if (paid > invoice.Owed || paid > invoice.Total)
            {
                problems.Add($"{firm.Id}: invoice {number} was paid {paid} in all (postings in any state), above what it owed ({invoice.Owed} of total {invoice.Total})");
            }
        }
    }

    /// <summary>At most one approved charge per run key, and each one recorded by its run.</summary>
    private static void Charges(WorldModel world, ProductView view, List<string> problems)
    {
        foreach (var charges in view.Charges.GroupBy(c => c.RunKey))
        {
            var list = charges.ToList();
            if (list.Count > 1)
            {
                problems.Add($"run {charges.Key} was charged {list.Count} times: {string.Join(", ", list.Select(c => $"{c.ChargeId} {c.Amount.Minor}"))}");
            }

            var parts = charges.Key.Split('/');
            var run = parts.Length == 3 ? view.Run(parts[1], DateOnly.ParseExact(parts[2], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)) : null;
            if (run is null || run.State != "Posted" || run.ChargeId != list[0].ChargeId || run.Amount != list[0].Amount.Minor)
            {
                problems.Add($"charge {list[0].ChargeId} of {list[0].Amount.Minor} for {charges.Key} is not the charge of a posted run: {run?.ToString() ?? "(no run)"}");
            }
        }

        var charged = view.Charges.Select(c => c.RunKey).ToHashSet(StringComparer.Ordinal);
        foreach (var firm in world.Firms)
        {
            foreach (var schedule in firm.Schedules.Values)
            {
                foreach (var run in view.Schedules[schedule.Id].Runs.Values.Where(r => r.State == "Posted"))
                {
                    if (!charged.Contains($"{firm.Id}/{schedule.Id}/{ModelCalendar.Iso(run.Date)}"))
                    {
                        problems.Add($"{firm.Id} run {schedule.Id}/{ModelCalendar.Iso(run.Date)} is Posted but the gateway has no charge for it");
                    }
                }
            }
        }
    }

    /// <summary>Exactly one Error-Failed AutoPay email per failed run per subscriber (and one AwaitingApproval email), no others.</summary>
    private static void Emails(WorldModel world, ProductView view, List<string> problems)
    {
        var expected = new Dictionary<(EmailKind, string, DateOnly, string), int>();
        foreach (var firm in world.Firms)
        {
            foreach (var schedule in firm.Schedules.Values)
            {
                foreach (var run in schedule.Runs.Values)
                {
                    foreach (var subscriber in firm.Subscribers)
                    {
                        if (run.Status == RunStatus.Failed && subscriber.Failures)
                        {
                            expected[(EmailKind.ErrorFailedAutoPay, schedule.Id, run.Date, subscriber.Email)] = run.ListedAttempts;
                        }

                        if (run.EverAwaitingApproval && subscriber.Approvals)
                        {
                            expected[(EmailKind.AwaitingApproval, schedule.Id, run.Date, subscriber.Email)] = -1;
                        }
                    }
                }
            }
        }

        foreach (var group in view.Emails.GroupBy(e => (e.Kind, e.ScheduleId, e.RunDate, e.To)))
        {
            var (kind, schedule, date, to) = group.Key;
            var count = group.Count();
            if (!expected.TryGetValue(group.Key, out var attempts))
            {
                problems.Add($"{count} {kind} email(s) to {to} about {schedule}/{ModelCalendar.Iso(date)}, which should have none");
            }
            else if (count != 1)
            {
                problems.Add($"{count} {kind} emails to {to} about {schedule}/{ModelCalendar.Iso(date)}; exactly one expected");
            }
            else if (kind == EmailKind.ErrorFailedAutoPay && group.First().AttemptLines != attempts)
            {
                problems.Add($"the {kind} email to {to} about {schedule}/{ModelCalendar.Iso(date)} lists {group.First().AttemptLines} attempts, expected {attempts}");
            }
        }

        foreach (var missing in expected.Keys.Where(k => !view.Emails.Any(e => (e.Kind, e.ScheduleId, e.RunDate, e.To) == k)))
        {
            problems.Add($"no {missing.Item1} email to {missing.Item4} about {missing.Item2}/{ModelCalendar.Iso(missing.Item3)}");
        }
    }
}
