namespace PayConnect.Integration.Tests.Simulation.Model;

/// <summary>
/// What each step means for the model: new firms, schedules and invoices, what the sync agent told the MMS, what staff
/// did. Returns why the API's answer is not the one SPEC gives (null when it is).
/// </summary>
public static class ModelSteps
{
    public static string? Apply(WorldModel world, Step step, StepResult result)
    {
        switch (step)
        {
            case CreateFirm s:
                var firm = new FirmModel
                {
                    Id = s.FirmId,
                    ZoneId = s.ZoneId,
                    Zone = TimeZoneInfo.FindSystemTimeZoneById(s.ZoneId),
                    Currency = s.Currency,
                    Exponent = s.Exponent,
                    ApprovalThreshold = s.ApprovalThreshold ?? (25_000L * (long)Math.Pow(10, s.Exponent)),
                    ThresholdIsExplicit = s.ApprovalThreshold is not null,
                    Subscribers = s.Subscribers,
                    OperatingAccountId = result.OperatingAccountId!,
                    TrustAccountId = result.TrustAccountId!,
                };
                world.Firms.Add(firm);
                AddMmsData(firm, s.Clients, s.Invoices);
                return null;

            case CreateSchedule s:
                return CreateSchedule(world, s, result);

            case AdvanceClock:
                return null;

            case IngestInvoices s:
                AddMmsData(world.Firm(s.FirmId), [], s.Invoices);
                return null;

            case ReportPayments s:
                var reporting = world.Firm(s.FirmId);
                foreach (var payment in s.Payments)
                {
                    var posting = reporting.Postings[payment.PostingKey];
                    var invoice = reporting.Invoices[posting.Invoice];
                    posting.Reported = true;
                    invoice.Reported += posting.Amount;
                    if (payment.WithReference)
                    {
                        invoice.ReportedReferences.Add(result.References[payment.PostingKey]);
                    }
                }

                return null;

            case PostingAction s:
                if (result.Status != 200)
                {
                    return $"{s.Action} answered {result.Status}: {result.Response}";
                }

                world.Firm(s.FirmId).Postings[s.PostingKey].Status = s.Action switch
                {
                    "mark-posted" => PostingStatus.Posted,
                    "mark-failed" => PostingStatus.Failed,
                    "retry" => PostingStatus.Pending,
                    _ => PostingStatus.Voided,
                };
                return null;

            case PauseSchedule s:
                return Transition(world, s.ScheduleId, result, (firm2, schedule) =>
                {
                    if (schedule.Status == ScheduleStatus.Active)
                    {
                        schedule.Status = ScheduleStatus.Paused;
                        schedule.StateChangedBy = firm2.StaffUser;
                    }
                });

            case ResumeSchedule s:
                return Transition(world, s.ScheduleId, result, (firm2, schedule) =>
                {
                    if (schedule.Status == ScheduleStatus.Paused)
                    {
                        // Occurrences while it was paused are not run (SPEC §1: unless staff pause it).
                        schedule.Status = ScheduleStatus.Active;
                        schedule.StateChangedBy = firm2.StaffUser;
                        var today = firm2.Today(world.Now);
                        schedule.NotBefore = schedule.NotBefore > today ? schedule.NotBefore : today;
                    }
                });

            case EndSchedule s:
                return Transition(world, s.ScheduleId, result, (firm2, schedule) =>
                {
                    if (schedule.Status != ScheduleStatus.Ended)
                    {
                        schedule.Status = ScheduleStatus.Ended;
                        schedule.EndedAs = EndKind.Staff;
                        schedule.StateChangedBy = firm2.StaffUser;
                    }
                });

            case EditSchedule s:
                return Transition(world, s.ScheduleId, result, (firm2, schedule) =>
                {
                    var f = s.Fields;
                    var timing = f.Cadence != schedule.Cadence || f.FirstRunDate != schedule.FirstRunDate;
                    (schedule.Name, schedule.ArMessage, schedule.MethodId, schedule.BankAccountId) = (f.Name, f.ArMessage, f.MethodId, f.BankAccountId);
                    (schedule.Rule, schedule.Cap, schedule.MaxRunAmount) = (f.Rule, f.Cap, f.MaxRunAmount);
                    if (timing)
                    {
                        // A new cadence from its first run date, but nothing dated before the change: those dates were
                        // never due under it, so they are no missed occurrences to catch up.
                        var today = firm2.Today(world.Now);
                        schedule.Cadence = f.Cadence;
                        schedule.FirstRunDate = f.FirstRunDate;
                        schedule.NotBefore = f.FirstRunDate > today ? f.FirstRunDate : today;
                        schedule.Cursor = null;
                    }
                });

            case ApproveRun s:
            {
                var (owner, schedule) = world.Schedule(s.ScheduleId);
                var run = schedule.Runs[s.Date];
                var refusal = ModelEngine.Approve(owner, schedule, run);
                return (refusal, result.Status) switch
                {
                    (null, 200) => null,
                    (not null, 409) => null,
                    (null, _) => $"approve answered {result.Status}, expected 200: {result.Response}",
                    _ => $"approve answered {result.Status}, expected 409 because {refusal}: {result.Response}",
                };
            }

            case DeclineRun s:
            {
                var (owner, schedule) = world.Schedule(s.ScheduleId);
                var run = schedule.Runs[s.Date];
                if (result.Status != 200)
                {
                    return $"decline answered {result.Status}: {result.Response}";
                }

                ModelEngine.DeclineApproval(owner, run);
                return null;
            }

            default:
                throw new InvalidOperationException($"Unknown step {step.GetType().Name}.");
        }
    }

    private static string? CreateSchedule(WorldModel world, CreateSchedule s, StepResult result)
    {
        var firm = world.Firm(s.FirmId);
        AddMmsData(firm, s.NewClients, s.NewInvoices);
        if (!firm.Payers.TryGetValue(result.PayerId!, out var payer))
        {
            payer = new PayerModel(result.PayerId!, s.PayerName, s.NewPayerMethods.Select((b, i) => new PaymentMethodModel(result.MethodIds[i], PaymentMethodModel.TokenFor(b), b)).ToList(), []);
            firm.Payers[payer.Id] = payer;
        }

        var enrolled = new List<AssociationModel>();
        foreach (var ((level, number), id) in result.AssociationIds)
        {
            var association = payer.Associations.FirstOrDefault(a => a.Id == id);
            if (association is null)
            {
                association = level switch
                {
                    Level.Client => new AssociationModel(id, level, number, null, null),
                    Level.Matter => new AssociationModel(id, level, firm.Matters[number], number, null),
                    _ => new AssociationModel(id, level, firm.Invoices[number].Client, firm.Invoices[number].Matter, number),
                };
                payer.Associations.Add(association);
            }

            enrolled.Add(association);
        }

        var schedule = new ScheduleModel
        {
            Id = result.ScheduleId!,
            Name = s.Name,
            PayerId = payer.Id,
            MethodId = result.MethodIds[s.MethodIndex],
            BankAccountId = s.Trust ? firm.TrustAccountId : firm.OperatingAccountId,
            ArMessage = s.ArMessage,
            Rule = s.Rule,
            Cap = s.Cap,
            MaxRunAmount = s.MaxRunAmount,
            Cadence = s.Cadence,
            FirstRunDate = s.FirstRunDate,
            NotBefore = s.FirstRunDate,
            Enrolled = enrolled,
            Status = ScheduleStatus.Active,
        };
        firm.Schedules[schedule.Id] = schedule;
        return null;
    }

    private static string? Transition(WorldModel world, string scheduleId, StepResult result, Action<FirmModel, ScheduleModel> change)
    {
        var (firm, schedule) = world.Schedule(scheduleId);
        if (result.Status != 200)
        {
            return $"answered {result.Status}, expected 200 (schedule {schedule.Status}): {result.Response}";
        }

        change(firm, schedule);
        return null;
    }

    private static void AddMmsData(FirmModel firm, IReadOnlyList<NewClient> clients, IReadOnlyList<NewInvoice> invoices)
    {
        foreach (var client in clients)
        {
            firm.Clients[client.Number] = client.Name;
            foreach (var matter in client.Matters)
            {
                firm.Matters[matter] = client.Number;
            }
        }

        foreach (var i in invoices)
        {
            firm.Invoices[i.Number] = new InvoiceModel
            {
                Number = i.Number, Client = i.Client, Matter = i.Matter, InvoiceDate = i.InvoiceDate, DueDate = i.DueDate, Total = i.Total, Owed = i.Outstanding,
            };
        }
    }
}
