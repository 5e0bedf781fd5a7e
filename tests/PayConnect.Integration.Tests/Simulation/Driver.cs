using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Mms;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Runs;
using PayConnect.Infrastructure.Storage;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Integration.Tests.Simulation.Model;
using PayConnect.Mms;
using PayConnect.Payments;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>A copy of a run message sent straight to the queue under another message id (a duplicate delivery).</summary>
public sealed record DuplicateMessage(string RunKey, DateOnly? After);

/// <summary>
/// Drives the product only the way it is driven in production: the HTTP API (as staff, and as the firm's sync agent),
/// the FanOut, RunDrain and EmailOutbox timer functions, and the clock. Faults come from wrappers registered in the
/// functions' own container: a store that fails some writes, an MMS and a gateway that can be switched off.
/// </summary>
public sealed class Driver : IAsyncDisposable
{
    private readonly Emulators _emulators;
    private readonly Dictionary<string, Client> _staff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Client> _syncAgents = new(StringComparer.Ordinal);
    private int _duplicates;

    private Driver(Emulators emulators, TestHost host, FaultyRecordStore store, SwitchableMms mms, SwitchableGateway gateway)
    {
        _emulators = emulators;
        Host = host;
        Store = store;
        Mms = mms;
        Gateway = gateway;
        Queue = host.Settings[AppSettings.ServiceBusRunsQueue]!;
    }

    public TestHost Host { get; }

    public FaultyRecordStore Store { get; }

    public SwitchableMms Mms { get; }

    public SwitchableGateway Gateway { get; }

    public string Queue { get; }

    /// <summary>How often a write fails while storage faults are on.</summary>
    public double StorageFailureRate { get; init; } = 0.04;

    public static Driver Start(Emulators emulators, int seed, EngineSettings engine, int drainConcurrency)
    {
        FaultyRecordStore? store = null;
        var mms = new SwitchableMms();
        var gateway = new SwitchableGateway();
        var delays = string.Join(",", Enumerable.Repeat("00:00:01", engine.MmsTries - 1));
        var host = new TestHost(
            emulators,
            settings: s =>
            {
                s[AppSettings.RunsMmsRetryDelays] = delays;
                s[AppSettings.RunsGatewayRetryDelays] = string.Join(",", Enumerable.Repeat("00:00:01", engine.GatewayTries - 1));
                s[AppSettings.DeclinesMaxSoftDeclineRetries] = engine.MaxSoftDeclineRetries.ToString(System.Globalization.CultureInfo.InvariantCulture);
                s[AppSettings.DeclinesRetryAfterDays] = engine.RetryAfterDays.ToString(System.Globalization.CultureInfo.InvariantCulture);
                s[AppSettings.RunDrainMaxConcurrency] = drainConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
            },
            services: c =>
            {
                c.AddSingleton<IRecordStore>(sp => store = new FaultyRecordStore(ActivatorUtilities.CreateInstance<TableRecordStore>(sp), seed));
                c.AddSingleton<IMmsConnector>(sp => mms.Around(ActivatorUtilities.CreateInstance<FirmMmsConnector>(sp)));
            },
            replace: c =>
            {
                c.AddSingleton<IPaymentGateway>(sp => gateway.Around(sp.GetRequiredService<SandboxPaymentGateway>()));

                // The drain as the settings give it, but it stops after a short idle wait instead of 2 s (the
                // simulation drains hundreds of times; an idle wait only decides when an empty drain returns).
                c.AddSingleton(new DrainOptions { TimeBudget = TimeSpan.FromSeconds(60), MaxConcurrency = drainConcurrency, IdleWait = TimeSpan.FromMilliseconds(250) });

                // Waits are scheduled redeliveries in real time (docs/decisions/0008). The MMS and gateway waits are
                // settings (one second above); a run's wait for the run before it is not, so it is shortened here alike.
                c.AddSingleton(sp => sp.GetRequiredService<IOptions<RunsOptions>>().Value.ToEngineOptions() with
                {
                    PredecessorWaits = [Duration.FromSeconds(1), Duration.FromSeconds(1), Duration.FromSeconds(2)],
                });
            });
        _ = host.Get<IRecordStore>();
        return new Driver(emulators, host, store!, mms, gateway);
    }

    public Client Staff(string firmId) => _staff.TryGetValue(firmId, out var client) ? client : _staff[firmId] = new Client(Host) { FirmId = firmId, Roles = ["FirmAdmin"] };

    public Client SyncAgent(string firmId) => _syncAgents.TryGetValue(firmId, out var client) ? client : _syncAgents[firmId] = new Client(Host) { FirmId = firmId, Roles = ["MmsSync"] };

    public void SetClock(DateTimeOffset now) => Host.Clock.Reset(Instant.FromDateTimeOffset(now));

    public List<SandboxCharge> Charges() => Host.Get<SandboxPaymentGateway>().Charges.ToList();

    /// <summary>
    /// The fan-out, with storage faults on if asked. A fan-out hit by a fault may leave claims that block their entries for
    /// five minutes (by the clock), as after a crashed invocation: then the clock moves on six minutes and a clean fan-out
    /// runs. Returns how far the clock was moved.
    /// </summary>
    public async Task<TimeSpan> FanOutAsync(bool storageFaults, DateTimeOffset now)
    {
        var injected = Store.Injected;
        Store.FailureRate = storageFaults ? StorageFailureRate : 0;
        try
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
        }
        catch (Exception) when (Store.Injected > injected)
        {
            // The timer invocation failed on an injected fault; the host would run it again on the next tick.
        }
        finally
        {
            Store.FailureRate = 0;
        }

        if (Store.Injected == injected)
        {
            return TimeSpan.Zero;
        }

        var moved = TimeSpan.FromMinutes(6);
        SetClock(now + moved);
        await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
        return moved;
    }

    /// <summary>
    /// Fires the timers until the runs queue is empty and nothing is scheduled on it (scheduled redeliveries wait in real
    /// time), as EngineBehaviourTests.SettleAsync does, with the step's disruptions. Duplicates are sent once, after the
    /// first fan-out and before the first drain.
    /// </summary>
    public async Task SettleAsync(Disruption disruption, IReadOnlyList<DuplicateMessage> duplicates, TimeSpan? max = null)
    {
        var deadline = DateTime.UtcNow + (max ?? TimeSpan.FromSeconds(150));
        Mms.Down = disruption.MmsDown;
        Gateway.Down = disruption.GatewayDown;
        try
        {
            var first = true;
            while (true)
            {
                await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
                if (first && duplicates.Count > 0)
                {
                    await SendDuplicatesAsync(duplicates);
                }

                first = false;
                Store.FailureRate = disruption.StorageFaults ? StorageFailureRate : 0;
                try
                {
                    if (disruption.TwoDrains)
                    {
                        await Task.WhenAll(DrainAsync(), DrainAsync());
                    }
                    else
                    {
                        await DrainAsync();
                    }
                }
                finally
                {
                    Store.FailureRate = 0;
                }

                await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
                var counts = _emulators.Broker.GetMessageCounts(Queue);
                if (counts.ActiveMessageCount == 0 && counts.ScheduledMessageCount == 0)
                {
                    await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new SimulationFailure($"The runs queue did not settle: {counts}.");
                }

                await Task.Delay(150);
            }
        }
        finally
        {
            Mms.Down = false;
            Gateway.Down = false;
        }
    }

    private Task DrainAsync() => Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);

    private async Task SendDuplicatesAsync(IReadOnlyList<DuplicateMessage> duplicates)
    {
        await using var sender = Host.Get<ServiceBusClient>().CreateSender(Queue);
        foreach (var duplicate in duplicates)
        {
            var body = duplicate.After is { } after
                ? JsonSerializer.SerializeToUtf8Bytes(new { runKey = duplicate.RunKey, after = ModelCalendar.Iso(after) })
                : JsonSerializer.SerializeToUtf8Bytes(new { runKey = duplicate.RunKey });
            await sender.SendMessageAsync(new ServiceBusMessage(body) { MessageId = $"{duplicate.RunKey}#dup-{++_duplicates}", ContentType = "application/json" });
        }
    }

    /// <summary>Does what the step says through the HTTP API, as staff or as the firm's sync agent.</summary>
    public async Task<StepResult> PerformAsync(Step step, WorldModel world)
    {
        var result = new StepResult();
        switch (step)
        {
            case CreateFirm s:
                await CreateFirmAsync(s, result);
                break;
            case CreateSchedule s:
                await CreateScheduleAsync(s, world.Firm(s.FirmId), result);
                break;
            case AdvanceClock:
                break;
            case IngestInvoices s:
                Expect(await SyncAgent(s.FirmId).Post($"/api/firms/{s.FirmId}/mms/ingest", new { invoices = s.Invoices.Select(i => InvoiceRow(world.Firm(s.FirmId), i)).ToArray() }), 200);
                break;
            case ReportPayments s:
                await ReportPaymentsAsync(s, world.Firm(s.FirmId), result);
                break;
            case PostingAction s:
                var posting = await PostingIdAsync(s.FirmId, s.PostingKey);
                Record(result, await Staff(s.FirmId).Post($"/api/firms/{s.FirmId}/postings/{posting}/{s.Action}", new { reason = "Checked against the bank statement" }));
                break;
            case PauseSchedule s:
                Record(result, await Staff(world.Schedule(s.ScheduleId).Firm.Id).Post($"/api/firms/{world.Schedule(s.ScheduleId).Firm.Id}/schedules/{s.ScheduleId}/pause", null));
                break;
            case ResumeSchedule s:
                Record(result, await Staff(world.Schedule(s.ScheduleId).Firm.Id).Post($"/api/firms/{world.Schedule(s.ScheduleId).Firm.Id}/schedules/{s.ScheduleId}/resume", null));
                break;
            case EndSchedule s:
                Record(result, await Staff(world.Schedule(s.ScheduleId).Firm.Id).Post($"/api/firms/{world.Schedule(s.ScheduleId).Firm.Id}/schedules/{s.ScheduleId}/end", null));
                break;
            case EditSchedule s:
                var owner = world.Schedule(s.ScheduleId).Firm;
                Record(result, await Staff(owner.Id).Put($"/api/firms/{owner.Id}/schedules/{s.ScheduleId}", ScheduleBody(owner, s.Fields)));
                break;
            case ApproveRun s:
                var approver = world.Schedule(s.ScheduleId).Firm;
                Record(result, await Staff(approver.Id).Post($"/api/firms/{approver.Id}/runs/{s.ScheduleId}/{ModelCalendar.Iso(s.Date)}/approve", new { }));
                break;
            case DeclineRun s:
                var decliner = world.Schedule(s.ScheduleId).Firm;
                Record(result, await Staff(decliner.Id).Post($"/api/firms/{decliner.Id}/runs/{s.ScheduleId}/{ModelCalendar.Iso(s.Date)}/decline", new { reason = "Too much at once; call the client" }));
                break;
            default:
                throw new InvalidOperationException($"Unknown step {step.GetType().Name}.");
        }

        return result;
    }

    private async Task CreateFirmAsync(CreateFirm s, StepResult result)
    {
        var staff = Staff(s.FirmId);
        var scale = 1m;
        for (var i = 0; i < s.Exponent; i++)
        {
            scale *= 10;
        }

        Expect(await staff.Put($"/api/firms/{s.FirmId}/settings", s.ApprovalThreshold is { } threshold
            ? new { name = $"Firm {s.FirmId}", timeZone = s.ZoneId, currency = s.Currency, approvalThreshold = threshold / scale }
            : (object)new { name = $"Firm {s.FirmId}", timeZone = s.ZoneId, currency = s.Currency }), 200);
        result.OperatingAccountId = Id(Expect(await staff.Post($"/api/firms/{s.FirmId}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "1234" }), 201));
        result.TrustAccountId = Id(Expect(await staff.Post($"/api/firms/{s.FirmId}/bank-accounts", new { name = "IOLTA", kind = "Trust", last4 = "5678" }), 201));
        foreach (var subscriber in s.Subscribers)
        {
            var types = new List<string>();
            if (subscriber.Failures)
            {
                types.Add("ErrorFailedAutoPay");
            }

            if (subscriber.Approvals)
            {
                types.Add("AwaitingApproval");
            }

            Expect(await staff.Post($"/api/firms/{s.FirmId}/notification-subscriptions", new { email = subscriber.Email, types }), 201);
        }

        await IngestAsync(s.FirmId, s.Clients, s.Invoices, scale);
    }

    private async Task CreateScheduleAsync(CreateSchedule s, FirmModel firm, StepResult result)
    {
        var staff = Staff(s.FirmId);
        await IngestAsync(s.FirmId, s.NewClients, s.NewInvoices, Scale(firm));
        var payer = s.ExistingPayerId;
        if (payer is null)
        {
            payer = Id(Expect(await staff.Post($"/api/firms/{s.FirmId}/payers", new { name = s.PayerName }), 201));
            for (var i = 0; i < s.NewPayerMethods.Count; i++)
            {
                var token = PaymentMethodModel.TokenFor(s.NewPayerMethods[i]) + "." + TestText.WithoutDigits(payer) + "-" + i;
                var body = s.NewPayerMethods[i] is TokenBehaviour.AchApprove or TokenBehaviour.AchSoftDecline
                    ? (object)new { kind = "Ach", token, displayName = "Checking", last4 = "6789" }
                    : new { kind = "Card", token, displayName = "Visa", last4 = "4242", expiryMonth = 12, expiryYear = 2031 };
                result.MethodIds.Add(Id(Expect(await staff.Post($"/api/firms/{s.FirmId}/payers/{payer}/payment-methods", body), 201)));
            }
        }
        else
        {
            result.MethodIds.AddRange(firm.Payers[payer].Methods.Select(m => m.Id));
        }

        result.PayerId = payer;
        foreach (var scope in s.Scopes.Distinct())
        {
            var existing = firm.Payers.GetValueOrDefault(payer)?.Associations.FirstOrDefault(a => a.Level == scope.Level && a.ScopeNumber == scope.Number);
            result.AssociationIds[(scope.Level, scope.Number)] = existing?.Id ?? Expect(
                await staff.Post($"/api/firms/{s.FirmId}/payers/{payer}/associations", new { items = new[] { new { level = scope.Level.ToString(), number = scope.Number } } }), 201)
                .Json!["items"]![0]!["id"]!.GetValue<string>();
        }

        var fields = new ScheduleFields(s.Name, s.ArMessage, result.MethodIds[s.MethodIndex], s.Trust ? firm.TrustAccountId : firm.OperatingAccountId, s.Rule, s.Cap, s.MaxRunAmount, s.Cadence, s.FirstRunDate);
        result.ScheduleId = Id(Expect(await staff.Post($"/api/firms/{s.FirmId}/payers/{payer}/schedules", ScheduleBody(firm, fields)), 201));
        Expect(await staff.Put($"/api/firms/{s.FirmId}/schedules/{result.ScheduleId}/enrollments", new { associationIds = result.AssociationIds.Values.ToArray() }), 200);
    }

    /// <summary>The sync agent reports payments the firm recorded: the invoice's balance falls, sometimes with the posting's reference.</summary>
    private async Task ReportPaymentsAsync(ReportPayments s, FirmModel firm, StepResult result)
    {
        var postings = (await Observer.PagesAsync(Staff(s.FirmId), $"/api/firms/{s.FirmId}/postings")).Select(p => (
            Key: $"{p["scheduleId"]!.GetValue<string>()}/{p["runDate"]!.GetValue<string>()}/{p["invoiceNumber"]!.GetValue<string>()}",
            Reference: p["reference"]!.GetValue<string>())).ToDictionary(p => p.Key, p => p.Reference, StringComparer.Ordinal);
        var rows = new List<object>();
        foreach (var group in s.Payments.GroupBy(p => firm.Postings[p.PostingKey].Invoice))
        {
            var invoice = firm.Invoices[group.Key];
            var reported = invoice.Reported + group.Sum(p => firm.Postings[p.PostingKey].Amount);
            var references = invoice.ReportedReferences.ToList();
            foreach (var payment in group)
            {
                result.References[payment.PostingKey] = postings[payment.PostingKey];
                if (payment.WithReference)
                {
                    references.Add(postings[payment.PostingKey]);
                }
            }

            var scale = Scale(firm);
            rows.Add(new
            {
                number = invoice.Number,
                clientNumber = invoice.Client,
                matterNumber = invoice.Matter,
                invoiceDate = ModelCalendar.Iso(invoice.InvoiceDate),
                dueDate = ModelCalendar.Iso(invoice.DueDate),
                total = invoice.Total / scale,
                outstandingBalance = (invoice.Owed - reported) / scale,
                paymentReferences = references,
            });
        }

        Expect(await SyncAgent(s.FirmId).Post($"/api/firms/{s.FirmId}/mms/ingest", new { invoices = rows }), 200);
    }

    private async Task IngestAsync(string firmId, IReadOnlyList<NewClient> clients, IReadOnlyList<NewInvoice> invoices, decimal scale)
    {
        if (clients.Count + invoices.Count == 0)
        {
            return;
        }

        Expect(await SyncAgent(firmId).Post($"/api/firms/{firmId}/mms/ingest", new
        {
            clients = clients.Select(c => new { number = c.Number, name = c.Name }).ToArray(),
            matters = clients.SelectMany(c => c.Matters.Select(m => new { number = m, name = "Matter " + m, clientNumber = c.Number })).ToArray(),
            invoices = invoices.Select(i => InvoiceRow(i, scale)).ToArray(),
        }), 200);
    }

    private static object InvoiceRow(FirmModel firm, NewInvoice i) => InvoiceRow(i, Scale(firm));

    private static object InvoiceRow(NewInvoice i, decimal scale) => new
    {
        number = i.Number,
        clientNumber = i.Client,
        matterNumber = i.Matter,
        invoiceDate = ModelCalendar.Iso(i.InvoiceDate),
        dueDate = ModelCalendar.Iso(i.DueDate),
        total = i.Total / scale,
        outstandingBalance = i.Outstanding / scale,
    };

    private static object ScheduleBody(FirmModel firm, ScheduleFields f)
    {
        var scale = Scale(firm);
        var body = new Dictionary<string, object?>
        {
            ["paymentMethodId"] = f.MethodId,
            ["name"] = f.Name,
            ["bankAccountId"] = f.BankAccountId,
            ["frequency"] = f.Cadence.ToApi(),
            ["firstRunDate"] = ModelCalendar.Iso(f.FirstRunDate),
            ["amountRule"] = f.Rule == RuleKind.UpTo ? new { kind = "UpTo", cap = f.Cap!.Value / scale } : new { kind = "PayAllOutstanding" },
        };
        if (f.ArMessage is not null)
        {
            body["arMessage"] = f.ArMessage;
        }

        if (f.MaxRunAmount is { } max)
        {
            body["maxRunAmount"] = max / scale;
        }

        return body;
    }

    private async Task<string> PostingIdAsync(string firmId, string key)
    {
        var scheduleId = key.Split('/')[0];
        foreach (var posting in await Observer.PagesAsync(Staff(firmId), $"/api/firms/{firmId}/postings?scheduleId={scheduleId}"))
        {
            if ($"{posting["scheduleId"]!.GetValue<string>()}/{posting["runDate"]!.GetValue<string>()}/{posting["invoiceNumber"]!.GetValue<string>()}" == key)
            {
                return posting["id"]!.GetValue<string>();
            }
        }

        throw new SimulationFailure($"Posting {key} is not listed.");
    }

    private static decimal Scale(FirmModel firm)
    {
        var scale = 1m;
        for (var i = 0; i < firm.Exponent; i++)
        {
            scale *= 10;
        }

        return scale;
    }

    private static void Record(StepResult result, HttpResponseData response)
    {
        result.Status = response.Status;
        result.Response = response.Body;
    }

    private static HttpResponseData Expect(HttpResponseData response, int status) =>
        response.Status == status ? response : throw new SimulationFailure($"Expected {status} from the API, got {response}.");

    private static string Id(HttpResponseData response) => response.Json!["id"]!.GetValue<string>();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

/// <summary>What the API answered to a step, and the ids it handed out.</summary>
public sealed class StepResult
{
    public int Status { get; set; } = 200;

    public string Response { get; set; } = string.Empty;

    public string? PayerId { get; set; }

    public List<string> MethodIds { get; } = [];

    public Dictionary<(Level, string), string> AssociationIds { get; } = [];

    public string? ScheduleId { get; set; }

    public string? OperatingAccountId { get; set; }

    public string? TrustAccountId { get; set; }

    /// <summary>Payment references of the postings a sync-agent report listed, by posting key.</summary>
    public Dictionary<string, string> References { get; } = new(StringComparer.Ordinal);
}
