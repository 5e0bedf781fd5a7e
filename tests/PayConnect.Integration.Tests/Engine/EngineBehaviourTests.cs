using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Mms;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Mms;
using PayConnect.Payments;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Engine;

/// <summary>
/// The money engine as a new user meets it: everything is set up and inspected through the HTTP API, and runs
/// move only by the FanOut, RunDrain and EmailOutbox timers on the real emulators. Each test is one of the seven
/// ways the engine used to lose or double money (first reproduced on the earlier engine, where each of them fails).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class EngineBehaviourTests(Emulators emulators) : IAsyncLifetime
{
    private const string Firm = "firm-engine";
    private static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];

    private readonly List<TestHost> _hosts = [];

    private TestHost Host { get; set; } = null!;

    private Client Client { get; set; } = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task OnceScheduleEnrolledAtClientLevel_ChargesOnItsDate_AndEndsAfterThatRun()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Once" }, "2026-03-02", new { kind = "PayAllOutstanding" });

        SetFirmTime(2026, 3, 2);
        await SettleAsync();

        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("Posted", State(run));
        Assert.Equal(150025, Assert.Single(Charges()).Amount.Minor);
        Assert.Equal("Ended", State(await ScheduleAsync(schedule)));
    }

    [Fact]
    public async Task OneYearMonthlySchedule_AfterAYearOfDowntime_RunsAllTwelveOccurrencesIncludingTheLast_ThenEnds()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "UpTo", cap = 100.00m });

        // Down for a year: the first fan-out after it finds all twelve occurrences at once.
        SetFirmTime(2027, 3, 10);
        await SettleAsync(TimeSpan.FromSeconds(90));

        var dates = Enumerable.Range(0, 12).Select(i => new LocalDate(2026, 3, 2).PlusMonths(i)).ToList();
        foreach (var date in dates)
        {
            var run = await RunAsync(schedule, Iso(date));
            Assert.True(State(run) == "Posted", $"{Iso(date)} is {run}");
            Assert.Equal(10000, run["amountMinor"]!.GetValue<long>());
        }

        Assert.Equal(12, Charges().Count);
        Assert.Equal(404, (await Client.Get($"/api/firms/{Firm}/runs/{schedule}/2027-03-02")).Status);
        Assert.Equal("Ended", State(await ScheduleAsync(schedule)));
    }

    [Theory]
    [InlineData("mark-failed")]
    [InlineData("mark-posted")]
    [InlineData("void")]
    public async Task StaffActionOnAPosting_NeverMakesCapturedMoneyPayableAgain_WhileTheMmsStillShowsTheInvoiceUnpaid(string action)
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "PayAllOutstanding" });
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Equal(150025, Assert.Single(Charges()).Amount.Minor);

        var postings = Ok(await Client.Get($"/api/firms/{Firm}/postings?scheduleId={schedule}"), 200).Json!["items"]!.AsArray();
        var posting = postings.Single(p => p!["invoiceNumber"]!.GetValue<string>() == "INV-1001")!;
        Ok(await Client.Post($"/api/firms/{Firm}/postings/{posting["id"]!.GetValue<string>()}/{action}", new { reason = "Staff clicked it" }), 200);

        // The sync agent has not updated the MMS: INV-1001 still shows 1,200.00 outstanding.
        SetFirmTime(2026, 3, 9);
        await SettleAsync();

        Assert.Single(Charges());
        Assert.Equal("NothingDue", State(await RunAsync(schedule, "2026-03-09")));
    }

    [Fact]
    public async Task CaughtUpRunsOfOneSchedule_AllocateInDateOrder_EachPayingWhatTheEarlierOnesLeft()
    {
        await StartAsync(settings: s => s[AppSettings.RunDrainMaxConcurrency] = "8");
        var schedules = new List<string>();
        SetFirmTime(2026, 3, 1);
        foreach (var client in new[] { "C-500", "C-600", "C-700", "C-800" })
        {
            await IngestClientAsync(client, ("A", "2026-01-05", 1200.00m), ("B", "2026-02-05", 300.25m));
            schedules.Add(await AutoPayAsync(await PartyAsync(client), new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 700.00m }));
        }

        // Down for two weeks: three occurrences of each schedule go out in one fan-out and are drained eight at a time.
        SetFirmTime(2026, 3, 17);
        await SettleAsync(TimeSpan.FromSeconds(120));

        foreach (var (schedule, client) in schedules.Zip(new[] { "C-500", "C-600", "C-700", "C-800" }))
        {
            Assert.Equal(new[] { ($"{client}-A", 70000L) }, await LinesAsync(schedule, "2026-03-02"));
            Assert.Equal(new[] { ($"{client}-A", 50000L), ($"{client}-B", 20000L) }, await LinesAsync(schedule, "2026-03-09"));
            Assert.Equal(new[] { ($"{client}-B", 10025L) }, await LinesAsync(schedule, "2026-03-16"));
        }
    }

    [Fact]
    public async Task MmsUnreachableForAWhile_IsRetriedLaterWithBackoff_AndTheRunChargesOnceItIsBack()
    {
        var mms = new BlinkingMms(failures: 3);
        await StartAsync(
            settings: s => s["Runs__MmsRetryDelays"] = "00:00:01,00:00:02,00:00:03,00:00:04",
            services: c => c.AddSingleton<IMmsConnector>(sp => mms.Around(ActivatorUtilities.CreateInstance<FirmMmsConnector>(sp))));
        await SubscribeAsync("oncall@firm-engine.test");
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" });

        SetFirmTime(2026, 3, 2);
        await SettleAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("Posted", State(await RunAsync(schedule, "2026-03-02")));
        Assert.Single(Charges());
        Assert.Empty(Emails());

        // Four calls: three refused, then the one that worked; each retry waited at least the configured delay.
        var calls = mms.Calls.ToArray();
        Assert.Equal(4, calls.Length);
        for (var i = 1; i < calls.Length; i++)
        {
            Assert.True(calls[i] - calls[i - 1] >= TimeSpan.FromSeconds(i) - TimeSpan.FromMilliseconds(200), $"retry {i} after {calls[i] - calls[i - 1]}");
        }
    }

    [Fact]
    public async Task MmsUnreachableBeyondTheRetryWindow_FailsTheRunOnce_WithOneEmailListingEveryAttempt()
    {
        var mms = new BlinkingMms(failures: int.MaxValue);
        await StartAsync(
            settings: s => s["Runs__MmsRetryDelays"] = "00:00:01,00:00:01",
            services: c => c.AddSingleton<IMmsConnector>(sp => mms.Around(ActivatorUtilities.CreateInstance<FirmMmsConnector>(sp))));
        await SubscribeAsync("oncall@firm-engine.test");
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" });

        SetFirmTime(2026, 3, 2);
        await SettleAsync(TimeSpan.FromSeconds(60));

        Assert.Equal("Failed", State(await RunAsync(schedule, "2026-03-02")));
        Assert.Equal(3, mms.Calls.Count);
        Assert.Empty(Charges());
        var email = Assert.Single(Emails());
        Assert.Equal(3, AttemptLines(email));
        Assert.Equal(3, CountOf(email, "could not be reached: Connection refused"));
    }

    [Theory]
    [InlineData("pause")]
    [InlineData("end")]
    [InlineData("change-method")]
    public async Task ParkedRun_WhoseScheduleStaffStoppedMeanwhile_ChargesNothingWhenRetried(string staffAction)
    {
        var gateway = new SwitchableGateway();
        await StartAsync(
            settings: s => s["Runs__GatewayRetryDelays"] = "00:00:01,00:00:01",
            replace: c => c.AddSingleton<IPaymentGateway>(sp => gateway.Around(sp.GetRequiredService<SandboxPaymentGateway>())));
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" });

        gateway.Down = true;
        SetFirmTime(2026, 3, 2);
        await SettleAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(Charges());

        switch (staffAction)
        {
            case "pause":
                Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/pause", null), 200);
                break;
            case "end":
                Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/end", null), 200);
                break;
            default:
                var other = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/payment-methods",
                    new { kind = "Card", token = "pm_sandbox_approve.other", displayName = "Mastercard", last4 = "4444", expiryMonth = 2, expiryYear = 2031 }), 201).Json!["id"]!.GetValue<string>();
                var current = Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!;
                Ok(await Client.Put($"/api/firms/{Firm}/schedules/{schedule}", new
                {
                    paymentMethodId = other,
                    name = current["name"]!.GetValue<string>(),
                    bankAccountId = current["bankAccountId"]!.GetValue<string>(),
                    frequency = new { kind = "Monthly" },
                    firstRunDate = "2026-03-02",
                    amountRule = new { kind = "PayAllOutstanding" },
                }), 200);
                break;
        }

        // The gateway is back and the parked run's re-check comes due.
        gateway.Down = false;
        Host.Clock.Advance(Duration.FromHours(3));
        await SettleAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(Charges());
        var run = await RunAsync(schedule, "2026-03-02");
        Assert.True(State(run) == "Skipped", run.ToJsonString());
    }

    [Fact]
    public async Task PayAllRunAboveTheApprovalCeiling_WaitsForApproval_ThenChargesOnceApproved()
    {
        await StartAsync();
        await SubscribeAsync("approver@firm-engine.test", "AwaitingApproval");
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "PayAllOutstanding" });
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            invoices = new[] { new { number = "INV-9999", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-02-20", dueDate = "2026-03-20", total = 9999999.99m, outstandingBalance = 9999999.99m } },
        }), 200);

        SetFirmTime(2026, 3, 2);
        await SettleAsync();

        Assert.Empty(Charges());
        Assert.Equal("AwaitingApproval", State(await RunAsync(schedule, "2026-03-02")));
        var waiting = Ok(await Client.Get($"/api/firms/{Firm}/runs?state=AwaitingApproval"), 200).Json!["items"]!.AsArray();
        Assert.Single(waiting);
        Assert.Contains(Emails(), e => e.Contains("approval", StringComparison.OrdinalIgnoreCase) && e.Contains("approver@firm-engine.test", StringComparison.Ordinal));

        Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/approve", new { }), 200);
        await SettleAsync();

        Assert.Equal(1000150024, Assert.Single(Charges()).Amount.Minor);
        Assert.Equal("Posted", State(await RunAsync(schedule, "2026-03-02")));
    }

    [Fact]
    public async Task RunAboveTheSchedulesMaximum_WaitsForApproval_AndDecliningItSkipsItAndFreesItsInvoicesForTheNextRun()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.MethodId,
            name = "Capped Auto-Pay",
            bankAccountId = party.BankAccountId,
            frequency = new { kind = "Weekly" },
            firstRunDate = "2026-03-02",
            amountRule = new { kind = "PayAllOutstanding" },
            maxRunAmount = 1000.00m,
        }), 201).Json!["id"]!.GetValue<string>();
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{schedule}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);

        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        var waiting = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("AwaitingApproval", State(waiting));
        Assert.Contains("maximum", waiting["approval"]!["requiredBecause"]!.GetValue<string>(), StringComparison.Ordinal);

        var declined = Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/decline", new { reason = "The client pays this one by cheque." }), 200).Json!;
        Assert.Equal("Skipped", State(declined));
        Assert.Contains("cheque", declined["failureReason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Ok(await Client.Get($"/api/firms/{Firm}/runs?state=AwaitingApproval"), 200).Json!["items"]!.AsArray());

        // The declined run's holds are gone: next week's run allocates the same invoices again (and waits again).
        SetFirmTime(2026, 3, 9);
        await SettleAsync();
        Assert.Equal(150025, (await RunAsync(schedule, "2026-03-09"))["amountMinor"]!.GetValue<long>());
        Assert.Empty(Charges());
    }

    [Fact]
    public async Task ApprovalGivenAfterThePayerPaidPartByCheque_ChargesOnlyWhatIsStillOwed()
    {
        await StartAsync();
        Ok(await Client.Put($"/api/firms/{Firm}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD", approvalThreshold = 1000.00m }), 200);
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" });
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Equal("AwaitingApproval", State(await RunAsync(schedule, "2026-03-02")));

        // Before anyone approves, the MMS shows INV-1001 paid down to 200.00 by a cheque.
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            invoices = new[] { new { number = "INV-1001", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 200.00m } },
        }), 200);
        Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/approve", new { }), 200);
        await SettleAsync();

        Assert.Equal(20000 + 30025, Assert.Single(Charges()).Amount.Minor);
        Assert.Equal("Posted", State(await RunAsync(schedule, "2026-03-02")));
    }

    [Fact]
    public async Task SoftDeclinedRun_RetriedUntilTheRetriesAreUsedUp_SendsOneEmailPerSubscriber_ListingEveryAttempt()
    {
        await StartAsync(settings: s =>
        {
            s[AppSettings.DeclinesMaxSoftDeclineRetries] = "3";
            s[AppSettings.DeclinesRetryAfterDays] = "2";
        });
        await SubscribeAsync("oncall@firm-engine.test");
        await SubscribeAsync("billing@firm-engine.test");
        var party = await PartyAsync("C-100", SandboxPaymentGateway.InsufficientFunds);
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" });

        foreach (var day in new[] { 2, 4, 6, 8, 10 })
        {
            SetFirmTime(2026, 3, day);
            await SettleAsync();
        }

        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("Failed", State(run));
        var emails = Emails();
        Assert.Equal(2, emails.Count);
        Assert.Single(emails, e => e.Contains("oncall@firm-engine.test", StringComparison.Ordinal));
        Assert.All(emails, e => Assert.Equal(4, AttemptLines(e)));
        Assert.All(emails, e => Assert.Equal(4, CountOf(e, "declined (insufficient_funds)")));
        Assert.Empty(Charges());
    }

    private async Task StartAsync(Action<Dictionary<string, string?>>? settings = null, Action<IServiceCollection>? services = null, Action<IServiceCollection>? replace = null)
    {
        Host = new TestHost(emulators, settings, services, replace);
        _hosts.Add(Host);
        Client = new Client(Host) { FirmId = Firm };
        SetFirmTime(2026, 2, 20);
        Ok(await Client.Put($"/api/firms/{Firm}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = "C-100", name = "Acme Holdings" } },
            matters = new[] { new { number = "M-100-1", name = "Acme v. Widget Co", clientNumber = "C-100" }, new { number = "M-100-2", name = "Acme Lease Review", clientNumber = "C-100" } },
            invoices = new[]
            {
                new { number = "INV-1001", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 1200.00m },
                new { number = "INV-1002", clientNumber = "C-100", matterNumber = "M-100-2", invoiceDate = "2026-02-05", dueDate = "2026-03-07", total = 800.50m, outstandingBalance = 300.25m },
            },
        }), 200);
    }

    private async Task IngestClientAsync(string client, params (string Suffix, string Date, decimal Outstanding)[] invoices)
    {
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = client, name = "Client " + client } },
            matters = new[] { new { number = client + "-M", name = "Matter of " + client, clientNumber = client } },
            invoices = invoices.Select(i => new
            {
                number = $"{client}-{i.Suffix}",
                clientNumber = client,
                matterNumber = client + "-M",
                invoiceDate = i.Date,
                dueDate = i.Date,
                total = i.Outstanding,
                outstandingBalance = i.Outstanding,
            }).ToArray(),
        }), 200);
    }

    private sealed record Party(string PayerId, string MethodId, string BankAccountId, string AssociationId);

    private async Task<Party> PartyAsync(string client, string token = SandboxPaymentGateway.Approve)
    {
        var payer = Ok(await Client.Post($"/api/firms/{Firm}/payers", new { name = "Payer of " + client }), 201).Json!["id"]!.GetValue<string>();
        var method = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods",
            new { kind = "Card", token = token + "." + client.ToLowerInvariant(), displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        var bank = Ok(await Client.Post($"/api/firms/{Firm}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "1234" }), 201).Json!["id"]!.GetValue<string>();
        var association = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/associations", new { items = new[] { new { level = "Client", number = client } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        return new Party(payer, method, bank, association);
    }

    private async Task<string> AutoPayAsync(Party party, object frequency, string firstRunDate, object amountRule)
    {
        var id = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.MethodId,
            name = "Auto-Pay " + TestText.WithoutDigits(party.PayerId),
            bankAccountId = party.BankAccountId,
            frequency,
            firstRunDate,
            amountRule,
        }), 201).Json!["id"]!.GetValue<string>();
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);
        return id;
    }

    private async Task SubscribeAsync(string email, string type = "ErrorFailedAutoPay") =>
        Ok(await Client.Post($"/api/firms/{Firm}/notification-subscriptions", new { email, types = new[] { type } }), 201);

    /// <summary>Fires the timers until the runs queue is empty and nothing is scheduled on it (retries wait in real time).</summary>
    private async Task SettleAsync(TimeSpan? max = null)
    {
        var deadline = DateTime.UtcNow + (max ?? TimeSpan.FromSeconds(45));
        var queue = Host.Get<QueueNames>().Runs;
        while (true)
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
            var counts = emulators.Broker.GetMessageCounts(queue);
            if (counts.ActiveMessageCount == 0 && counts.ScheduledMessageCount == 0)
            {
                await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The runs queue did not settle: {counts}");
            await Task.Delay(250);
        }
    }

    private async Task<JsonNode> RunAsync(string schedule, string date) =>
        Ok(await Client.Get($"/api/firms/{Firm}/runs/{schedule}/{date}"), 200).Json!;

    private async Task<JsonNode> ScheduleAsync(string schedule) =>
        Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!;

    private async Task<(string Invoice, long Amount)[]> LinesAsync(string schedule, string date) =>
        (await RunAsync(schedule, date))["lines"]!.AsArray()
            .Select(l => (l!["invoiceNumber"]!.GetValue<string>(), l["amountMinor"]!.GetValue<long>()))
            .ToArray();

    private List<SandboxCharge> Charges() => Host.Get<SandboxPaymentGateway>().Charges.ToList();

    /// <summary>Each email in the mail sink as its recipients and plain-text body.</summary>
    private List<string> Emails()
    {
        var sink = Host.Settings[AppSettings.EmailSinkDirectory]!;
        return Directory.Exists(sink)
            ? Directory.GetFiles(sink, "*.eml").Select(f => MimeKit.MimeMessage.Load(f)).Select(m => $"To: {m.To}\nSubject: {m.Subject}\n{m.TextBody}").ToList()
            : [];
    }

    private static int AttemptLines(string email) => email.Split('\n').Count(l => l.StartsWith("Attempt ", StringComparison.Ordinal));

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.OrdinalIgnoreCase))
        {
            count++;
        }

        return count;
    }

    private static string State(JsonNode node) => node["state"]!.GetValue<string>();

    private static string Iso(LocalDate date) => NodaTime.Text.LocalDatePattern.Iso.Format(date);

    private void SetFirmTime(int year, int month, int day) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, 9, 0).InZoneLeniently(Chicago).ToInstant());

    private static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    /// <summary>An MMS that refuses its first <c>failures</c> invoice queries, recording when each query came.</summary>
    private sealed class BlinkingMms(int failures)
    {
        public int Failures { get; } = failures;

        public ConcurrentQueue<DateTime> Calls { get; } = new();

        public IMmsConnector Around(IMmsConnector inner) => new Connector(this, inner);

        private sealed class Connector(BlinkingMms owner, IMmsConnector inner) : IMmsConnector
        {
            public Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken) =>
                inner.SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken);

            public Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken) => inner.FindAsync(firmId, scope, cancellationToken);

            public Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken)
            {
                owner.Calls.Enqueue(DateTime.UtcNow);
                return owner.Calls.Count <= owner.Failures
                    ? throw new MmsUnavailableException("Connection refused (injected).")
                    : inner.OutstandingInvoicesAsync(firmId, scopes, cancellationToken);
            }
        }
    }

    /// <summary>A gateway that cannot be reached while <see cref="Down"/> is set.</summary>
    private sealed class SwitchableGateway
    {
        public volatile bool Down;

        public IPaymentGateway Around(IPaymentGateway inner) => new Gateway(this, inner);

        private sealed class Gateway(SwitchableGateway owner, IPaymentGateway inner) : IPaymentGateway
        {
            public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) =>
                owner.Down ? throw new GatewayUnavailableException("Connection timed out (injected).") : inner.ChargeAsync(request, cancellationToken);

            public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) =>
                owner.Down ? throw new GatewayUnavailableException("Connection timed out (injected).") : inner.FindChargeAsync(lookup, cancellationToken);

            public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

            public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

            public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
        }
    }
}
