using PayConnect.Integration.Tests.Simulation.Model;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>
/// Chooses the next step from a seeded random source and the model's picture of the world (never the product's), so a
/// seed replays the same story. The setup covers every frequency (twice-monthly on the 31st, monthly anchored on the
/// 29th–31st), every association level, both amount rules and several time zones and currencies.
/// </summary>
public sealed class StepGenerator(int seed, WorldModel world)
{
    private static readonly string[] Zones =
    [
        "America/Chicago", "America/Los_Angeles", "America/New_York", "Europe/London", "Asia/Kolkata",
        "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu", "Pacific/Kiritimati", "Pacific/Pago_Pago",
    ];

    private static readonly (string Code, int Exponent)[] Currencies = [("USD", 2), ("USD", 2), ("EUR", 2), ("JPY", 0)];

    private readonly Random _random = new(seed);
    private readonly Dictionary<string, int> _invoiceNumbers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _clientNumbers = new(StringComparer.Ordinal);
    private readonly Queue<Cadence> _cadences = new();
    private int _names;

    /// <summary>Firms and their first schedules: the cadence list is dealt out so every kind appears in every seed.</summary>
    public IReadOnlyList<Step> Setup(int firms, int schedulesPerFirm)
    {
        foreach (var cadence in Shuffle(CadenceVariants()))
        {
            _cadences.Enqueue(cadence);
        }

        var steps = new List<Step>();
        var zones = Shuffle(Zones.ToList());
        for (var f = 0; f < firms; f++)
        {
            var firmId = $"sim-f{f + 1}";
            var (currency, exponent) = Currencies[_random.Next(Currencies.Length)];
            long? threshold = exponent == 0 || _random.Next(2) == 0 ? Minor(3_000, 8_000) : null;
            var subscribers = new List<SubscriberModel> { new($"oncall@{firmId}.test", Failures: true, Approvals: true) };
            if (_random.Next(2) == 0)
            {
                subscribers.Add(new SubscriberModel($"billing@{firmId}.test", Failures: true, Approvals: false));
            }

            if (_random.Next(2) == 0)
            {
                subscribers.Add(new SubscriberModel($"approver@{firmId}.test", Failures: false, Approvals: true));
            }

            var clients = Enumerable.Range(0, schedulesPerFirm + 2).Select(_ => NewClientFor(firmId)).ToList();
            var today = ModelCalendar.TodayIn(TimeZoneInfo.FindSystemTimeZoneById(zones[f]), world.Now);
            var invoices = clients.SelectMany(c => Enumerable.Range(0, _random.Next(1, 5)).Select(_ => NewInvoiceFor(firmId, c.Number, c.Matters, today, maxAgeDays: 150))).ToList();
            steps.Add(new CreateFirm(firmId, zones[f], currency, exponent, threshold, subscribers, clients, invoices));
        }

        return steps;
    }

    /// <summary>A first schedule of a firm just created (the firm's clients are in the model by now).</summary>
    public CreateSchedule FirstSchedule(FirmModel firm) => NewSchedule(firm);

    public Step Next(int index, int total)
    {
        var step = Choose(index, total);
        return step with { Disruption = DisruptionFor(step) };
    }

    private Step Choose(int index, int total)
    {
        var awaiting = world.Firms.SelectMany(f => f.Schedules.Values.SelectMany(s => s.Runs.Values.Where(r => r.Status == RunStatus.AwaitingApproval).Select(r => (s, r)))).ToList();
        if (awaiting.Count > 0 && _random.NextDouble() < 0.3)
        {
            var (schedule, run) = Pick(awaiting);
            return _random.NextDouble() < 0.7 ? new ApproveRun(schedule.Id, run.Date) : new DeclineRun(schedule.Id, run.Date);
        }

        var roll = _random.NextDouble();
        var firm = Pick(world.Firms);
        var schedules = world.Firms.SelectMany(f => f.Schedules.Values).ToList();
        var active = schedules.Where(s => s.Status == ScheduleStatus.Active).ToList();
        var paused = schedules.Where(s => s.Status == ScheduleStatus.Paused).ToList();
        var open = schedules.Where(s => s.Status != ScheduleStatus.Ended).ToList();

        if (roll < 0.47)
        {
            return new AdvanceClock(ClockStep());
        }

        if (roll < 0.57)
        {
            var today = firm.Today(world.Now);
            var clients = firm.Clients.Keys.Order(StringComparer.Ordinal).ToList();
            var invoices = Enumerable.Range(0, _random.Next(1, 5)).Select(_ =>
            {
                var client = Pick(clients);
                return NewInvoiceFor(firm.Id, client, firm.Matters.Where(m => m.Value == client).Select(m => m.Key).Order(StringComparer.Ordinal).ToList(), today, maxAgeDays: 60, firm);
            }).ToList();
            return new IngestInvoices(firm.Id, invoices);
        }

        if (roll < 0.67)
        {
            var unreported = firm.Postings.Values.Where(p => !p.Reported && !p.NeverReported).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            if (unreported.Count > 0)
            {
                var chosen = Shuffle(unreported).Take(_random.Next(1, 5)).ToList();
                return new ReportPayments(firm.Id, chosen.Select(p => new ReportedPayment(p.Key, _random.Next(2) == 0)).ToList());
            }

            return new AdvanceClock(ClockStep());
        }

        if (roll < 0.74)
        {
            var postings = world.Firms.SelectMany(f => f.Postings.Values.Where(p => p.Status != PostingStatus.Voided).Select(p => (f, p))).OrderBy(x => x.p.Key, StringComparer.Ordinal).ToList();
            if (postings.Count > 0)
            {
                var (owner, posting) = Pick(postings);
                var actions = posting.Status switch
                {
                    PostingStatus.Pending => new[] { "mark-posted", "mark-failed", "void" },
                    PostingStatus.Failed => ["retry", "mark-posted", "void"],
                    _ => ["void"],
                };
                return new PostingAction(owner.Id, posting.Key, Pick(actions));
            }

            return new AdvanceClock(ClockStep());
        }

        if (roll < 0.79 && active.Count > 0)
        {
            return new PauseSchedule(Pick(active).Id);
        }

        if (roll < 0.83 && paused.Count > 0)
        {
            return new ResumeSchedule(Pick(paused).Id);
        }

        if (roll < 0.845 && open.Count > 0)
        {
            return new EndSchedule(Pick(open).Id);
        }

        if (roll < 0.91 && open.Count > 0)
        {
            return EditWithoutTiming(Pick(open));
        }

        if (roll < 0.95 && open.Count > 0)
        {
            return EditTiming(Pick(open));
        }

        if (roll < 0.98 && index < total * 2 / 3)
        {
            return NewSchedule(firm);
        }

        return new AdvanceClock(ClockStep());
    }

    /// <summary>Hours to cross midnight somewhere, days, and now and then weeks of downtime.</summary>
    private TimeSpan ClockStep()
    {
        var roll = _random.NextDouble();
        return roll switch
        {
            < 0.20 => TimeSpan.FromMinutes(_random.Next(60, 20 * 60)),
            < 0.50 => TimeSpan.FromDays(_random.Next(1, 4)) + TimeSpan.FromMinutes(_random.Next(0, 180)),
            < 0.75 => TimeSpan.FromDays(_random.Next(4, 11)),
            < 0.90 => TimeSpan.FromDays(_random.Next(11, 26)),
            _ => TimeSpan.FromDays(_random.Next(30, 61)),
        };
    }

    private Disruption DisruptionFor(Step step)
    {
        var clock = step is AdvanceClock;
        return new Disruption(
            MmsDown: clock && _random.NextDouble() < 0.05,
            GatewayDown: clock && _random.NextDouble() < 0.07,
            StorageFaults: _random.NextDouble() < 0.2,
            DuplicateDeliveries: _random.NextDouble() < 0.2,
            TwoDrains: _random.NextDouble() < 0.25);
    }

    private CreateSchedule NewSchedule(FirmModel firm)
    {
        var today = firm.Today(world.Now);
        var usedClients = firm.Schedules.Values.SelectMany(s => s.Enrolled.Select(a => a.Client)).ToHashSet(StringComparer.Ordinal);
        var freeClients = firm.Clients.Keys.Where(c => !usedClients.Contains(c)).Order(StringComparer.Ordinal).ToList();
        var newClients = new List<NewClient>();
        var newInvoices = new List<NewInvoice>();
        string FreshClient()
        {
            if (freeClients.Count > 0)
            {
                var client = freeClients[0];
                freeClients.RemoveAt(0);
                return client;
            }

            var created = NewClientFor(firm.Id);
            newClients.Add(created);
            newInvoices.AddRange(Enumerable.Range(0, _random.Next(1, 4)).Select(_ => NewInvoiceFor(firm.Id, created.Number, created.Matters, today, maxAgeDays: 90)));
            return created.Number;
        }

        List<string> MattersOf(string client) =>
            firm.Matters.Where(m => m.Value == client).Select(m => m.Key).Concat(newClients.Where(c => c.Number == client).SelectMany(c => c.Matters)).Distinct().Order(StringComparer.Ordinal).ToList();

        List<string> InvoicesOf(string client) =>
            firm.Invoices.Values.Where(i => i.Client == client && i.MmsOutstanding > 0).Select(i => i.Number)
                .Concat(newInvoices.Where(i => i.Client == client).Select(i => i.Number)).Distinct().Order(StringComparer.Ordinal).ToList();

        var scopes = new List<ScopePick>();
        var recipe = _random.NextDouble();
        if (recipe < 0.3 || (recipe >= 0.72 && usedClients.Count == 0))
        {
            scopes.Add(new ScopePick(Level.Client, FreshClient()));
        }
        else if (recipe < 0.5)
        {
            var client = FreshClient();
            scopes.AddRange(Shuffle(MattersOf(client)).Take(_random.Next(1, 3)).Select(m => new ScopePick(Level.Matter, m)));
        }
        else if (recipe < 0.62)
        {
            var client = FreshClient();
            var invoices = InvoicesOf(client);
            if (invoices.Count == 0)
            {
                newInvoices.Add(NewInvoiceFor(firm.Id, client, MattersOf(client), today, maxAgeDays: 60));
                invoices = InvoicesOf(client);
            }

            scopes.AddRange(Shuffle(invoices).Take(_random.Next(1, 4)).Select(i => new ScopePick(Level.Invoice, i)));
        }
        else if (recipe < 0.72)
        {
            // Overlapping scopes in one schedule: the client and one of its matters (invoices must count once).
            var client = FreshClient();
            scopes.Add(new ScopePick(Level.Client, client));
            scopes.Add(new ScopePick(Level.Matter, Pick(MattersOf(client))));
        }
        else if (recipe < 0.88)
        {
            // Another payer on a client some schedule already pays: runs of both contend for the same invoices.
            scopes.Add(new ScopePick(Level.Client, Pick(usedClients.Order(StringComparer.Ordinal).ToList())));
        }
        else
        {
            var client = Pick(usedClients.Order(StringComparer.Ordinal).ToList());
            var invoices = InvoicesOf(client);
            scopes.AddRange(invoices.Count == 0
                ? [new ScopePick(Level.Client, client)]
                : Shuffle(invoices).Take(_random.Next(1, 3)).Select(i => new ScopePick(Level.Invoice, i)));
        }

        var reuse = firm.Payers.Count > 0 && _random.NextDouble() < 0.15 ? Pick(firm.Payers.Keys.Order(StringComparer.Ordinal).ToList()) : null;
        var methods = reuse is null ? PayerMethods() : [];
        var methodCount = reuse is null ? methods.Count : firm.Payers[reuse].Methods.Count;
        var cadence = _cadences.Count > 0 ? _cadences.Dequeue() : Pick(CadenceVariants());
        var rule = _random.Next(2) == 0 ? RuleKind.PayAllOutstanding : RuleKind.UpTo;
        _names++;
        return new CreateSchedule(
            firm.Id,
            reuse,
            $"Payer {_names}",
            methods,
            newClients,
            newInvoices,
            scopes,
            $"Auto-Pay {_names}",
            _random.Next(methodCount),
            Trust: _random.NextDouble() < 0.3,
            _random.Next(2) == 0 ? $"A/R note {_names}" : null,
            cadence,
            FirstRunDate(cadence, today),
            rule,
            rule == RuleKind.UpTo ? Minor(100, 2_000) : null,
            _random.NextDouble() < 0.2 ? Minor(500, 4_000) : null);
    }

    private EditSchedule EditWithoutTiming(ScheduleModel schedule)
    {
        var (firm, _) = world.Schedule(schedule.Id);
        var payer = firm.Payers[schedule.PayerId];
        var fields = Current(schedule);
        switch (_random.Next(5))
        {
            case 0:
                fields = fields with { Rule = RuleKind.UpTo, Cap = Minor(100, 2_000) };
                break;
            case 1:
                fields = fields with { Rule = RuleKind.PayAllOutstanding, Cap = null };
                break;
            case 2:
                fields = fields with { MaxRunAmount = schedule.MaxRunAmount is null ? Minor(500, 4_000) : null };
                break;
            case 3:
                fields = fields with { MethodId = Pick(payer.Methods.Select(m => m.Id).ToList()) };
                break;
            default:
                fields = fields with
                {
                    Name = schedule.Name + "'",
                    ArMessage = _random.Next(2) == 0 ? null : "Edited A/R note",
                    BankAccountId = schedule.BankAccountId == firm.OperatingAccountId ? firm.TrustAccountId : firm.OperatingAccountId,
                };
                break;
        }

        return new EditSchedule(schedule.Id, fields, ChangesTiming: false);
    }

    private EditSchedule EditTiming(ScheduleModel schedule)
    {
        var (firm, _) = world.Schedule(schedule.Id);
        var today = firm.Today(world.Now);
        var fields = Current(schedule);
        var cadence = Pick(CadenceVariants().Where(c => c != schedule.Cadence).ToList());
        var keepFirst = _random.Next(2) == 0;
        return new EditSchedule(schedule.Id, fields with { Cadence = cadence, FirstRunDate = keepFirst ? schedule.FirstRunDate : FirstRunDate(cadence, today) }, ChangesTiming: true);
    }

    private static ScheduleFields Current(ScheduleModel s) =>
        new(s.Name, s.ArMessage, s.MethodId, s.BankAccountId, s.Rule, s.Cap, s.MaxRunAmount, s.Cadence, s.FirstRunDate);

    private DateOnly FirstRunDate(Cadence cadence, DateOnly today)
    {
        if (cadence.Kind == CadenceKind.Monthly && _random.Next(2) == 0)
        {
            // Anchored on the 29th-31st: clamped to month end, never drifting.
            var anchor = _random.Next(29, 32);
            for (var date = today; date < today.AddDays(120); date = date.AddDays(1))
            {
                if (date.Day == anchor)
                {
                    return date;
                }
            }
        }

        return today.AddDays(_random.Next(0, 35));
    }

    private List<Cadence> CadenceVariants() =>
    [
        Cadence.Once,
        Cadence.Weekly,
        Cadence.EveryNWeeks(_random.Next(2, 5)),
        Cadence.TwiceMonthly(_random.Next(1, 15), 31),
        Cadence.TwiceMonthly(_random.Next(1, 14), _random.Next(15, 31)),
        Cadence.Monthly,
        Cadence.Monthly,
        Cadence.Quarterly,
        Cadence.SemiAnnually,
        Cadence.Annually,
    ];

    private List<TokenBehaviour> PayerMethods()
    {
        var roll = _random.NextDouble();
        var first = roll switch
        {
            < 0.52 => TokenBehaviour.Approve,
            < 0.62 => TokenBehaviour.TimeoutThenApprove,
            < 0.74 => TokenBehaviour.SoftDecline,
            < 0.79 => TokenBehaviour.SoftDeclineRateLimited,
            < 0.87 => TokenBehaviour.HardDecline,
            < 0.94 => TokenBehaviour.AchApprove,
            _ => TokenBehaviour.AchSoftDecline,
        };
        return _random.NextDouble() < 0.6 ? [first, TokenBehaviour.Approve] : [first];
    }

    private NewClient NewClientFor(string firmId)
    {
        var n = _clientNumbers[firmId] = _clientNumbers.GetValueOrDefault(firmId) + 1;
        var number = $"C{n:000}";
        return new NewClient(number, $"Client {number}", Enumerable.Range(1, _random.Next(1, 3)).Select(m => $"{number}-M{m}").ToList());
    }

    private NewInvoice NewInvoiceFor(string firmId, string client, IReadOnlyList<string> matters, DateOnly today, int maxAgeDays, FirmModel? firm = null)
    {
        var n = _invoiceNumbers[firmId] = _invoiceNumbers.GetValueOrDefault(firmId) + 1;
        var sameDay = firm?.Invoices.Values.Where(i => i.Client == client).OrderBy(i => i.Number, StringComparer.Ordinal).ToList();
        DateOnly invoiceDate, dueDate;
        if (sameDay is { Count: > 0 } && _random.NextDouble() < 0.15)
        {
            // The same invoice and due dates as an older one: the invoice number decides the order.
            var twin = Pick(sameDay);
            (invoiceDate, dueDate) = (twin.InvoiceDate, twin.DueDate);
        }
        else
        {
            invoiceDate = today.AddDays(-_random.Next(0, maxAgeDays));
            dueDate = invoiceDate.AddDays(_random.Next(0, 46));
        }

        var total = _random.NextDouble() < 0.05 ? Minor(6_000, 30_000) : Minor(50, 2_500);
        var outstanding = _random.NextDouble() < 0.25 ? Math.Max(1, total * _random.Next(30, 100) / 100) : total;
        return new NewInvoice($"INV-{n:00000}", client, Pick(matters), invoiceDate, dueDate, total, outstanding);
    }

    /// <summary>An amount between two whole-unit bounds, in minor units with some cents (same minor ranges in every currency).</summary>
    private long Minor(int fromUnits, int toUnits) => (_random.Next(fromUnits, toUnits) * 100L) + _random.Next(0, 100);

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private List<T> Shuffle<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}
