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
using PayConnect.Infrastructure.Storage;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Mms;
using PayConnect.Payments;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Engine;

/// <summary>
/// Defects the lifecycle simulation (tests/…/Simulation) found, each reduced to the few steps that show it, through the
/// API and the timers like <see cref="EngineBehaviourTests"/>.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class LifecycleFindingsTests(Emulators emulators) : IAsyncLifetime
{
    private const string Firm = "firm-findings";
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

    /// <summary>Simulation seed 23: changing Annually to TwiceMonthly kept the first run date and charged four dates before the change.</summary>
    [Fact]
    public async Task TimingChangeThatKeepsAPastFirstRunDate_RunsTheNewCadenceFromTheChange_NeverBackdated()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "UpTo", cap = 100.00m });
        SetFirmTime(2026, 3, 20);
        await SettleAsync();

        // Monthly → Weekly, same first run date: the weekly dates already past (Mar 9, Mar 16) were never due.
        var current = Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!;
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{schedule}", new
        {
            paymentMethodId = current["paymentMethodId"]!.GetValue<string>(),
            name = "Weekly now",
            bankAccountId = current["bankAccountId"]!.GetValue<string>(),
            frequency = new { kind = "Weekly" },
            firstRunDate = "2026-03-02",
            amountRule = new { kind = "UpTo", cap = 100.00m },
        }), 200);
        await SettleAsync();

        Assert.Equal(["2026-03-02"], await RunDatesAsync(schedule));
        Assert.Equal("2026-03-23", Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!["nextRunDate"]!.GetValue<string>());
        Assert.Single(Charges());
    }

    /// <summary>
    /// Simulation seed 11: a storage failure after the fan-out saved a schedule's moved cursor and before it indexed the
    /// next run left no index entry; the clean fan-out after it dropped the old entry as stale and the schedule never ran again.
    /// </summary>
    [Fact]
    public async Task FanOutFailingBeforeItIndexesTheNextRun_StillRunsThatNextRun()
    {
        var store = (DueIndexWriteFailure?)null;
        await StartAsync(services: c => c.AddSingleton<IRecordStore>(sp => store = new DueIndexWriteFailure(ActivatorUtilities.CreateInstance<TableRecordStore>(sp))));
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "UpTo", cap = 100.00m });

        SetFirmTime(2026, 3, 2);
        // Every write of a due-index entry fails during this tick, alone or in a transaction: the run is sent but its
        // schedule's next run is not indexed (the fan-out logs it and leaves the sent entry in place, 0028).
        store!.FailIndexUpserts = true;
        try
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
        }
        catch (IOException)
        {
        }
        finally
        {
            store.FailIndexUpserts = false;
        }

        Assert.True(store.Failures > 0, "no due-index write was failed");

        // A lease the failed invocation may have left runs out; the next ticks carry on.
        Host.Clock.Advance(Duration.FromMinutes(6));
        await SettleAsync();
        SetFirmTime(2026, 4, 2);
        await SettleAsync();

        Assert.Equal(["2026-03-02", "2026-04-02"], await RunDatesAsync(schedule));
    }

    /// <summary>
    /// Simulation seed 37: soft-declined runs of one schedule came up for their retry together; the earliest re-allocated the
    /// invoices and the later ones, allocating while it was still charging, found nothing and ended NothingDue. Here the
    /// earlier run is an approved one whose charge takes a moment; the later run's retry must wait for it to end.
    /// </summary>
    [Fact]
    public async Task LaterRunsRetry_WaitsWhileAnEarlierRunOfTheScheduleIsCharging_ThenSeesWhatThatRunReleased()
    {
        var gateway = new SlowGateway(TimeSpan.FromSeconds(1.5));
        await StartAsync(
            settings: s =>
            {
                s[AppSettings.DeclinesMaxSoftDeclineRetries] = "3";
                s[AppSettings.DeclinesRetryAfterDays] = "2";
            },
            replace: c => c.AddSingleton<IPaymentGateway>(sp => gateway.Around(sp.GetRequiredService<SandboxPaymentGateway>())));
        var party = await PartyAsync("C-100", SandboxPaymentGateway.InsufficientFunds);
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "PayAllOutstanding" }, maxRunAmount: 1000.00m);

        // Mar 2 holds all 1,500.25 for approval; Mar 9 finds only a new invoice and is declined; both come back on Mar 11.
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            invoices = new[] { new { number = "INV-1003", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-03-05", dueDate = "2026-04-04", total = 500.00m, outstandingBalance = 500.00m } },
        }), 200);
        SetFirmTime(2026, 3, 9);
        await SettleAsync();
        Assert.Equal(("AwaitingRetry", 50000L), await StateAndAmountAsync(schedule, "2026-03-09"));

        SetFirmTime(2026, 3, 11);
        Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/approve", new { }), 200);
        await SettleAsync();

        // Mar 2's attempt is declined and releases its 1,500.25; only then does Mar 9 allocate, and finds all 2,000.25.
        Assert.Equal("AwaitingRetry", (await StateAndAmountAsync(schedule, "2026-03-02")).State);
        Assert.Equal(("AwaitingApproval", 200025L), await StateAndAmountAsync(schedule, "2026-03-09"));
    }

    /// <summary>
    /// Simulation seeds 11, 23 and 37 (once runs waited for earlier ones): a later delivery chain of a run named its delayed
    /// copy like the first chain had ({runKey}#g1), within the queue's ten-minute duplicate detection, and the broker
    /// dropped it. Here: the MMS blinks on the run's first delivery, the run waits for approval, staff approve it minutes
    /// later and the gateway does not answer the first charge; the approved run must still charge.
    /// </summary>
    [Fact]
    public async Task ApprovedRunWhoseChargeMustBeAskedAgain_IsNotDroppedAsADuplicateOfItsFirstDelivery()
    {
        var mms = new BlinkingMms();
        var gateway = new SlowGateway(TimeSpan.Zero);
        await StartAsync(
            settings: s =>
            {
                s[AppSettings.RunsMmsRetryDelays] = "00:00:01,00:00:01";
                s[AppSettings.RunsGatewayRetryDelays] = "00:00:01,00:00:01";
            },
            services: c => c.AddSingleton<IMmsConnector>(sp => mms.Around(ActivatorUtilities.CreateInstance<FirmMmsConnector>(sp))),
            replace: c => c.AddSingleton<IPaymentGateway>(sp => gateway.Around(sp.GetRequiredService<SandboxPaymentGateway>())));
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" }, maxRunAmount: 1000.00m);

        SetFirmTime(2026, 3, 2);
        mms.FailNext = true;
        await SettleAsync();
        Assert.Equal("AwaitingApproval", (await StateAndAmountAsync(schedule, "2026-03-02")).State);

        gateway.FailNext = true;
        Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/approve", new { }), 200);
        await SettleAsync();

        Assert.Equal(("Posted", 150025L), await StateAndAmountAsync(schedule, "2026-03-02"));
    }

    /// <summary>
    /// Simulation seed 37: a one-year schedule was Ended by an earlier run finishing while its last run, already sent, had
    /// not begun (it waits for the run before it); the last run then charged, was declined and waited for its retry under
    /// an Ended schedule. Here an earlier run's message is delivered again just before the last run's.
    /// </summary>
    [Fact]
    public async Task FinishedRunDeliveredAgainBeforeTheLastRunBegins_DoesNotEndTheSchedule()
    {
        await StartAsync(settings: s =>
        {
            s[AppSettings.RunDrainMaxConcurrency] = "1";
            s[AppSettings.DeclinesMaxSoftDeclineRetries] = "1";
            s[AppSettings.DeclinesRetryAfterDays] = "2";
        });
        var party = await PartyAsync("C-100", SandboxPaymentGateway.InsufficientFunds);
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "PayAllOutstanding" });

        // Eleven months pass; every run is declined, retried and fails. Only Feb 2, 2027 is left.
        SetFirmTime(2027, 1, 2);
        await SettleAsync();
        SetFirmTime(2027, 1, 10);
        await SettleAsync();
        Assert.Equal("Failed", (await StateAndAmountAsync(schedule, "2027-01-02")).State);

        SetFirmTime(2027, 2, 2);
        await using (var sender = Host.Get<Azure.Messaging.ServiceBus.ServiceBusClient>().CreateSender(Host.Get<QueueNames>().Runs))
        {
            await sender.SendMessageAsync(new Azure.Messaging.ServiceBus.ServiceBusMessage(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { runKey = $"{Firm}/{schedule}/2027-01-02" }))
            {
                MessageId = $"{Firm}/{schedule}/2027-01-02#redelivered",
            });
        }

        await SettleAsync();

        Assert.Equal("AwaitingRetry", (await StateAndAmountAsync(schedule, "2027-02-02")).State);
        Assert.Equal("Active", Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!["state"]!.GetValue<string>());
    }

    /// <summary>
    /// Simulation seed 23: a timing change left a one-year schedule no occurrence inside its lifetime; with its runs all
    /// finished, nothing was left to end it and it stayed Active for good. The same after a resume past the lifetime.
    /// </summary>
    [Fact]
    public async Task ResumeAfterTheLifetimeEnded_EndsTheScheduleWhoseRunsAreAllFinished()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Quarterly" }, "2026-03-02", new { kind = "UpTo", cap = 100.00m });
        SetFirmTime(2026, 11, 5);
        await SettleAsync();
        Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/pause", null), 200);

        // Paused over Dec 2 and resumed after Mar 2, 2027: the lifetime has no occurrence left.
        SetFirmTime(2027, 3, 10);
        Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/resume", null), 200);
        await SettleAsync();

        Assert.Equal(["2026-03-02", "2026-06-02", "2026-09-02"], await RunDatesAsync(schedule));
        var state = Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!;
        Assert.Equal(("Ended", "Completed"), (state["state"]!.GetValue<string>(), state["endReason"]?.GetValue<string>()));
    }

    /// <summary>Staff declined the approval of a schedule's last run: the run finished, so the schedule ends.</summary>
    [Fact]
    public async Task LastRunsApprovalDeclined_EndsTheSchedule()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Once" }, "2026-03-02", new { kind = "PayAllOutstanding" }, maxRunAmount: 1000.00m);
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Equal("AwaitingApproval", (await StateAndAmountAsync(schedule, "2026-03-02")).State);

        Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/decline", new { reason = "Call the client first" }), 200);
        await SettleAsync();

        Assert.Equal("Skipped", (await StateAndAmountAsync(schedule, "2026-03-02")).State);
        Assert.Equal("Ended", Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!["state"]!.GetValue<string>());
        Assert.Empty(Charges());
    }

    private async Task StartAsync(Action<Dictionary<string, string?>>? settings = null, Action<IServiceCollection>? services = null, Action<IServiceCollection>? replace = null)
    {
        Host = new TestHost(emulators, settings, services, replace);
        _hosts.Add(Host);
        Client = new Client(Host) { FirmId = Firm };
        SetFirmTime(2026, 2, 20);
        Ok(await Client.Put($"/api/firms/{Firm}/settings", new { name = "Findings LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = "C-100", name = "Acme Holdings" } },
            matters = new[] { new { number = "M-100-1", name = "Acme v. Widget Co", clientNumber = "C-100" } },
            invoices = new[]
            {
                new { number = "INV-1001", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 1200.00m },
                new { number = "INV-1002", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-02-05", dueDate = "2026-03-07", total = 800.50m, outstandingBalance = 300.25m },
            },
        }), 200);
    }

    private sealed record Party(string PayerId, string MethodId, string BankAccountId, string AssociationId);

    private async Task<Party> PartyAsync(string client, string token = SandboxPaymentGateway.Approve)
    {
        var payer = Ok(await Client.Post($"/api/firms/{Firm}/payers", new { name = "Payer of " + client }), 201).Json!["id"]!.GetValue<string>();
        var method = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods",
            new { kind = "Card", token = token + "." + TestText.WithoutDigits(payer), displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        var bank = Ok(await Client.Post($"/api/firms/{Firm}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "1234" }), 201).Json!["id"]!.GetValue<string>();
        var association = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/associations", new { items = new[] { new { level = "Client", number = client } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        return new Party(payer, method, bank, association);
    }

    private async Task<string> AutoPayAsync(Party party, object frequency, string firstRunDate, object amountRule, decimal? maxRunAmount = null)
    {
        var id = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.MethodId,
            name = "Auto-Pay " + TestText.WithoutDigits(party.PayerId),
            bankAccountId = party.BankAccountId,
            frequency,
            firstRunDate,
            amountRule,
            maxRunAmount,
        }), 201).Json!["id"]!.GetValue<string>();
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);
        return id;
    }

    private async Task<(string State, long Amount)> StateAndAmountAsync(string schedule, string date)
    {
        var run = Ok(await Client.Get($"/api/firms/{Firm}/runs/{schedule}/{date}"), 200).Json!;
        return (run["state"]!.GetValue<string>(), run["amountMinor"]?.GetValue<long>() ?? 0);
    }

    private async Task<List<string>> RunDatesAsync(string schedule) =>
        Ok(await Client.Get($"/api/firms/{Firm}/runs?scheduleId={schedule}"), 200).Json!["items"]!.AsArray()
            .Select(r => r!["runDate"]!.GetValue<string>()).ToList();

    /// <summary>Fires the timers until the runs queue is empty and nothing is scheduled on it.</summary>
    private async Task SettleAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var queue = Host.Get<QueueNames>().Runs;
        while (true)
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
            var counts = emulators.Broker.GetMessageCounts(queue);
            if (counts.ActiveMessageCount == 0 && counts.ScheduledMessageCount == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The runs queue did not settle: {counts}");
            await Task.Delay(250);
        }
    }

    private List<SandboxCharge> Charges() => Host.Get<SandboxPaymentGateway>().Charges.ToList();

    private void SetFirmTime(int year, int month, int day) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, 9, 0).InZoneLeniently(Chicago).ToInstant());

    private static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    /// <summary>
    /// A gateway that takes its time to answer a charge (the run stays between allocation and the end of its charge), and
    /// does not answer the next one at all once <see cref="FailNext"/> is set.
    /// </summary>
    private sealed class SlowGateway(TimeSpan delay)
    {
        public volatile bool FailNext;

        public TimeSpan Delay { get; } = delay;

        public IPaymentGateway Around(IPaymentGateway inner) => new Gateway(this, inner);

        private sealed class Gateway(SlowGateway owner, IPaymentGateway inner) : IPaymentGateway
        {
            public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
            {
                await Task.Delay(owner.Delay, cancellationToken);
                if (owner.FailNext)
                {
                    owner.FailNext = false;
                    throw new GatewayUnavailableException("Connection timed out (injected).");
                }

                return await inner.ChargeAsync(request, cancellationToken);
            }

            public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) => inner.FindChargeAsync(lookup, cancellationToken);

            public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

            public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

            public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
        }
    }

    /// <summary>An MMS that refuses the next invoice query once <see cref="FailNext"/> is set.</summary>
    private sealed class BlinkingMms
    {
        public volatile bool FailNext;

        public IMmsConnector Around(IMmsConnector inner) => new Connector(this, inner);

        private sealed class Connector(BlinkingMms owner, IMmsConnector inner) : IMmsConnector
        {
            public Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken) =>
                inner.SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken);

            public Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken) => inner.FindAsync(firmId, scope, cancellationToken);

            public Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken)
            {
                if (owner.FailNext)
                {
                    owner.FailNext = false;
                    throw new MmsUnavailableException("Connection refused (injected).");
                }

                return inner.OutstandingInvoicesAsync(firmId, scopes, cancellationToken);
            }
        }
    }

    /// <summary>Table Storage failing every due-index entry upsert while armed (alone or in a transaction), before it reaches the store.</summary>
    private sealed class DueIndexWriteFailure(IRecordStore inner) : IRecordStore
    {
        private int _failures;

        public volatile bool FailIndexUpserts;

        public int Failures => Volatile.Read(ref _failures);

        public Task<Stored<T>?> GetAsync<T>(string firmId, string key, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.GetAsync<T>(firmId, key, cancellationToken);

        public Task<RecordPage<Stored<T>>> ListAsync<T>(string firmId, string keyPrefix, int pageSize, string? continuation, Func<T, bool>? filter, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.ListAsync(firmId, keyPrefix, pageSize, continuation, filter, cancellationToken);

        public Task<Stored<T>> InsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.InsertAsync(firmId, record, cancellationToken);

        public Task<Stored<T>> ReplaceAsync<T>(string firmId, T record, string? ifMatch, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.ReplaceAsync(firmId, record, ifMatch, cancellationToken);

        public Task<Stored<T>> UpsertAsync<T>(string firmId, T record, CancellationToken cancellationToken)
            where T : IFirmRecord
        {
            if (record is DueIndexEntry && FailIndexUpserts)
            {
                Interlocked.Increment(ref _failures);
                throw new IOException("Table Storage unavailable (injected before a due-index write).");
            }

            return inner.UpsertAsync(firmId, record, cancellationToken);
        }

        public Task<bool> DeleteAsync<T>(string firmId, string key, string? ifMatch, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.DeleteAsync<T>(firmId, key, ifMatch, cancellationToken);

        public Task InsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.InsertAllAsync(firmId, records, cancellationToken);

        public Task UpsertAllAsync<T>(string firmId, IReadOnlyList<T> records, CancellationToken cancellationToken)
            where T : IFirmRecord => inner.UpsertAllAsync(firmId, records, cancellationToken);

        public Task<IReadOnlyList<string?>> CommitAsync(string firmId, IReadOnlyList<RecordWrite> writes, CancellationToken cancellationToken)
        {
            if (FailIndexUpserts && writes.Any(w => w.Kind == WriteKind.Upsert && w.Record is DueIndexEntry))
            {
                Interlocked.Increment(ref _failures);
                throw new IOException("Table Storage unavailable (injected before a due-index transaction).");
            }

            return inner.CommitAsync(firmId, writes, cancellationToken);
        }
    }
}
