namespace PayConnect.Integration.Tests.Simulation.Model;

/// <summary>What holds while the timers settle the queue after a step.</summary>
public sealed record SettleConditions(DateTimeOffset Now, bool MmsDown, bool GatewayDown);

public enum WorkKind
{
    /// <summary>A run the engine may still run later: an approved run that waits for its charge.</summary>
    ApprovedCharge,

    /// <summary>A run parked after the gateway did not confirm its charge, due for its re-check.</summary>
    ParkedRecheck,

    /// <summary>A soft-declined run whose retry date has come.</summary>
    RetryAttempt,

    /// <summary>A due occurrence handed to the engine for the first time.</summary>
    NewRun,
}

/// <summary>One thing the engine has to do to one run during a settle.</summary>
/// <param name="After">For a new run: the run of the same schedule handed out just before it (it waits for that one).</param>
public sealed record WorkItem(string ScheduleId, DateOnly Date, WorkKind Kind, DateOnly? After = null)
{
    public override string ToString() => $"{Kind} {ScheduleId}/{ModelCalendar.Iso(Date)}";
}

/// <summary>How a charge attempt ends for the run's holds.</summary>
public enum FinishKind
{
    /// <summary>Money captured (or nothing changes for anyone else: parked). Others see the same availability.</summary>
    KeepsMoneyHeld,

    /// <summary>Declined or skipped: what the run held is available again.</summary>
    ReleasesMoney,
}

/// <summary>
/// The reference model's reading of SPEC §1–§2, as pure functions over <see cref="FirmModel"/>: which runs are due,
/// what a run allocates (available = owed − all captured money − what other unfinished runs hold, oldest first, up to
/// the rule), the ceiling, the charge outcome, retries, parking, skips by staff, approvals, and when a schedule ends.
/// </summary>
public static class ModelEngine
{
    /// <summary>
    /// SPEC §2.1–2.2: every occurrence inside the lifetime that is due by the firm's today and was not handed out yet is
    /// handed out once, oldest first; runs waiting for a retry or a re-check whose time has come are picked up. Moves the
    /// cursors (the fan-out's side of the settle).
    /// </summary>
    public static List<WorkItem> DueWork(FirmModel firm, SettleConditions conditions)
    {
        var today = firm.Today(conditions.Now);
        var work = new List<WorkItem>();
        foreach (var schedule in firm.Schedules.Values)
        {
            foreach (var run in schedule.Runs.Values)
            {
                if (run.Status == RunStatus.Allocated && run.ParkedUntil is null)
                {
                    work.Add(new WorkItem(schedule.Id, run.Date, WorkKind.ApprovedCharge));
                }
                else if (run.Status == RunStatus.Allocated && run.ParkedUntil <= conditions.Now)
                {
                    work.Add(new WorkItem(schedule.Id, run.Date, WorkKind.ParkedRecheck));
                }
                else if (run.Status == RunStatus.AwaitingRetry && run.RetryOn <= today)
                {
                    work.Add(new WorkItem(schedule.Id, run.Date, WorkKind.RetryAttempt));
                }
            }
        }

        foreach (var schedule in firm.Schedules.Values.Where(s => s.Status == ScheduleStatus.Active))
        {
            foreach (var date in schedule.Remaining().TakeWhile(d => d <= today).ToList())
            {
                var after = schedule.LastSent is { } last && last < date ? last : (DateOnly?)null;
                schedule.Cursor = date;
                schedule.LastSent = schedule.LastSent is { } sent && sent > date ? sent : date;

                // A date the schedule already ran (a new cadence meeting an old one) is the same run, never a second.
                if (!schedule.Runs.ContainsKey(date))
                {
                    work.Add(new WorkItem(schedule.Id, date, WorkKind.NewRun, after));
                }
            }
        }

        return work.OrderBy(w => w.Kind).ThenBy(w => w.Date).ThenBy(w => w.ScheduleId, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Allocation (SPEC §2.3) for a new run or a new attempt of a soft-declined one. Returns true when the run is now
    /// between allocation and the end of its charge attempt (a <see cref="Finish"/> follows).
    /// </summary>
    public static bool Allocate(FirmModel firm, ScheduleModel schedule, WorkItem item, SettleConditions conditions, EngineSettings settings)
    {
        RunModel run;
        if (item.Kind == WorkKind.NewRun)
        {
            run = new RunModel { Date = item.Date, Attempt = 1 };
            schedule.Runs[item.Date] = run;
        }
        else
        {
            run = schedule.Runs[item.Date];
            run.Attempt++;
        }

        run.Lines = [];
        run.Code = null;
        run.RetryOn = null;
        run.ParkedUntil = null;
        run.Approved = false;

        if (schedule.StopCode is { } stop)
        {
            // Staff paused or ended the schedule while this run waited for its retry: it is skipped, and says why.
            Skip(run, stop, schedule.StateChangedBy);
            return false;
        }

        if (conditions.MmsDown)
        {
            // SPEC §2.3: an unreachable MMS is retried with backoff, then the run fails (§2.6).
            run.Status = RunStatus.Failed;
            run.Code = "mms_unavailable";
            run.ListedAttempts += settings.MmsTries;
            return false;
        }

        run.MethodId = schedule.MethodId;
        run.CapAtAllocation = schedule.Rule == RuleKind.UpTo ? schedule.Cap : null;
        run.Lines = Allocation(firm, schedule, run);
        if (run.Lines.Count == 0)
        {
            run.Status = RunStatus.NothingDue;
            MarkPaidOffPlan(firm, schedule, run);
            return false;
        }

        if (run.Amount > Ceiling(firm, schedule))
        {
            run.Status = RunStatus.AwaitingApproval;
            run.EverAwaitingApproval = true;
            return false;
        }

        run.Status = RunStatus.Allocated;
        return true;
    }

    /// <summary>How the charge attempt of an allocated run will end for others (without doing it).</summary>
    public static FinishKind PredictFinish(FirmModel firm, ScheduleModel schedule, RunModel run, SettleConditions conditions)
    {
        if (conditions.GatewayDown)
        {
            return FinishKind.KeepsMoneyHeld;
        }

        if (StopCode(schedule, run) is not null)
        {
            return FinishKind.ReleasesMoney;
        }

        return firm.Payers[schedule.PayerId].Method(run.MethodId!).Approves ? FinishKind.KeepsMoneyHeld : FinishKind.ReleasesMoney;
    }

    /// <summary>The charge attempt (SPEC §2.4–2.6) of an allocated run: posted, parked, declined (retry or failed) or skipped.</summary>
    public static void Finish(FirmModel firm, ScheduleModel schedule, RunModel run, SettleConditions conditions, EngineSettings settings)
    {
        if (conditions.GatewayDown)
        {
            // The gateway did not confirm: asked again a few times, then the run is parked and re-checked later.
            run.ParkedUntil = conditions.Now + settings.ParkFor;
            run.ListedAttempts++;
            return;
        }

        run.ParkedUntil = null;
        if (StopCode(schedule, run) is { } stop)
        {
            Skip(run, stop, schedule.StateChangedBy);
            return;
        }

        var method = firm.Payers[schedule.PayerId].Method(run.MethodId!);
        if (method.Approves)
        {
            run.Status = RunStatus.Posted;
            foreach (var line in run.Lines)
            {
                firm.Invoices[line.Invoice].Captured += line.Amount;
                var posting = new PostingModel { ScheduleId = schedule.Id, RunDate = run.Date, Invoice = line.Invoice, Amount = line.Amount, Status = PostingStatus.Pending };
                firm.Postings[posting.Key] = posting;
            }

            MarkPaidOffPlan(firm, schedule, run);
            return;
        }

        run.ListedAttempts++;
        run.Code = method.DeclineCode;
        var retries = method.IsAch ? Math.Min(settings.MaxSoftDeclineRetries, 2) : settings.MaxSoftDeclineRetries;
        if (method.SoftDeclines && run.Attempt - 1 < retries)
        {
            var wait = Math.Max(settings.RetryAfterDays, method.Behaviour == TokenBehaviour.SoftDeclineRateLimited ? 2 : 1);
            run.Status = RunStatus.AwaitingRetry;
            run.RetryOn = firm.Today(conditions.Now).AddDays(wait);
        }
        else
        {
            run.Status = RunStatus.Failed;
        }
    }

    /// <summary>Staff approve a run above its ceiling: its lines are re-checked against what is available now.</summary>
    /// <returns>Null when approved; otherwise why the API must refuse (409).</returns>
    public static string? Approve(FirmModel firm, ScheduleModel schedule, RunModel run)
    {
        if (run.Status != RunStatus.AwaitingApproval)
        {
            return $"the run is {run.Status}";
        }

        if (StopCode(schedule, run) is { } stop)
        {
            return $"the schedule stops it ({stop})";
        }

        run.Lines = run.Lines
            .Select(l => l with { Amount = Math.Min(l.Amount, Available(firm, firm.Invoices[l.Invoice], run)) })
            .Where(l => l.Amount > 0)
            .ToList();
        run.Approved = true;
        if (run.Lines.Count == 0)
        {
            run.Status = RunStatus.NothingDue;
            MarkPaidOffPlan(firm, schedule, run);
        }
        else
        {
            run.Status = RunStatus.Allocated;
        }

        return null;
    }

    /// <summary>Staff decline a run above its ceiling: skipped, who and why recorded, nothing charged.</summary>
    public static void DeclineApproval(FirmModel firm, RunModel run)
    {
        Skip(run, "approval_declined", firm.StaffUser);
    }

    /// <summary>
    /// SPEC §1 Lifetime: a schedule becomes Ended only after its last run has finished — a one-year schedule (or a Once)
    /// when no occurrence is left, a payment plan as soon as a run of it left nothing owed on its invoices.
    /// </summary>
    public static void EndFinishedSchedules(FirmModel firm)
    {
        foreach (var schedule in firm.Schedules.Values.Where(s => s.Status == ScheduleStatus.Active))
        {
            if (schedule.Runs.Values.Any(r => !r.IsFinal))
            {
                continue;
            }

            if (schedule.IsPlan && schedule.Runs.Values.Any(r => r.PaidOffPlan))
            {
                schedule.Status = ScheduleStatus.Ended;
                schedule.EndedAs = EndKind.PaidOff;
            }
            else if (!schedule.Remaining().Any())
            {
                schedule.Status = ScheduleStatus.Ended;
                schedule.EndedAs = EndKind.Completed;
            }
        }
    }

    /// <summary>What is still available on an invoice: owed − all captured money − what other unfinished runs hold on it.</summary>
    public static long Available(FirmModel firm, InvoiceModel invoice, RunModel? except)
    {
        var held = 0L;
        foreach (var run in firm.Schedules.Values.SelectMany(s => s.Runs.Values))
        {
            if (run.Reserves && !ReferenceEquals(run, except))
            {
                held += run.Lines.Where(l => l.Invoice == invoice.Number).Sum(l => l.Amount);
            }
        }

        return Math.Max(0, invoice.Owed - invoice.Captured - held);
    }

    /// <summary>The invoices in the schedule's scopes that the MMS reports outstanding, oldest first (SPEC §2.3).</summary>
    public static IEnumerable<InvoiceModel> InScope(FirmModel firm, ScheduleModel schedule) =>
        firm.Invoices.Values
            .Where(i => i.MmsOutstanding > 0 && schedule.Enrolled.Any(a => a.Covers(i)))
            .OrderBy(i => i.InvoiceDate).ThenBy(i => i.DueDate).ThenBy(i => i.Number, StringComparer.Ordinal);

    /// <summary>The lower of the firm's approval threshold and the schedule's maximum.</summary>
    public static long Ceiling(FirmModel firm, ScheduleModel schedule) => Math.Min(firm.ApprovalThreshold, schedule.MaxRunAmount ?? long.MaxValue);

    /// <summary>
    /// Oldest first until the rule is met: pay-all pays every available balance; up-to pays in full until the next invoice
    /// would exceed what is left, pays that one partially, and stops.
    /// </summary>
    private static List<RunLineModel> Allocation(FirmModel firm, ScheduleModel schedule, RunModel run)
    {
        var lines = new List<RunLineModel>();
        var left = schedule.Rule == RuleKind.UpTo ? schedule.Cap!.Value : long.MaxValue;
        foreach (var invoice in InScope(firm, schedule))
        {
            var available = Available(firm, invoice, run);
            if (available <= 0)
            {
                continue;
            }

            var pay = Math.Min(available, left);
            lines.Add(new RunLineModel(invoice.Number, pay));
            left -= pay;
            if (left == 0)
            {
                break;
            }
        }

        return lines;
    }

    private static string? StopCode(ScheduleModel schedule, RunModel run) =>
        schedule.StopCode ?? (run.MethodId is not null && run.MethodId != schedule.MethodId ? "payment_method_changed" : null);

    private static void Skip(RunModel run, string code, string? by)
    {
        run.Status = RunStatus.Skipped;
        run.Code = code;
        run.SkippedBy = by;
        run.ParkedUntil = null;
        run.RetryOn = null;
    }

    private static void MarkPaidOffPlan(FirmModel firm, ScheduleModel schedule, RunModel run)
    {
        if (schedule.IsPlan)
        {
            run.PaidOffPlan = firm.Invoices.Values.Where(i => schedule.Enrolled.Any(a => a.Covers(i))).All(i => i.Owed - i.Captured <= 0);
        }
    }
}
