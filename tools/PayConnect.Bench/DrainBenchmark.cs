using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;
using PayConnect.Connect;
using PayConnect.Infrastructure;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Storage;
using PayConnect.LocalEmulators;
using PayConnect.Mms;
using PayConnect.Payments;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.ServiceBusBroker;
using PayConnect.Storage;

namespace PayConnect.Bench;

/// <summary>
/// Runs per second through the drain (the run engine on the real queue and Table Storage) with the MMS and the gateway
/// each answering in 50 ms, the Table operations per run, and, in the same run, the raw Table write rate: for runs of
/// many firms interleaved and for all runs from one hot firm, at each drain concurrency.
/// </summary>
public static class DrainBenchmark
{
    private static readonly LocalDate RunDate = new(2026, 3, 2);

    /// <summary>Print where each round's Table operations go (<c>--breakdown</c>).</summary>
    public static bool Breakdown { get; set; }

    /// <summary>
    /// Every payer receives receipts at a contact address and every firm has a staff receipt subscriber
    /// (<c>--with-notices</c>): what the emails of a posted run cost on top of the run.
    /// </summary>
    public static bool WithNotices { get; set; }

    private sealed record Round(string Scenario, int Concurrency, int Runs, double Seconds, double OpsPerRun, int Charges, int ChargedRuns)
    {
        public double RunsPerSecond => Runs / Seconds;

        public bool OneChargePerRun => Charges == Runs && ChargedRuns == Runs;
    }

    public static async Task RunAsync(int firms, int schedulesPerFirm, int hotSchedules, int[] concurrencies, int latencyMs)
    {
        Console.WriteLine($"drain benchmark: many firms = {firms} firms x {schedulesPerFirm} schedules, hot firm = 1 firm x {hotSchedules} schedules; MMS and gateway {latencyMs} ms each"
            + (WithNotices ? "; every payer receives a receipt and every firm has a staff receipt subscriber" : string.Empty));
        await using var azurite = await Azurite.StartAsync();
        await using var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions { Port = 0 });

        var raw = await RawWriteRateAsync(azurite.CreateServiceClient());
        Console.WriteLine($"baseline: raw Table writes (single upserts) {raw.Sequential:F0}/s sequential, {raw.Parallel:F0}/s with 16 in flight");
        Console.WriteLine();
        Console.WriteLine("| runs from | drain concurrency | runs | wall time | runs/s | Table ops/run | Table ops/s | runs/s vs W/O | charges |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");

        var rounds = new List<Round>();
        foreach (var (scenario, firmCount, perFirm) in new[] { ("many firms", firms, schedulesPerFirm), ("one hot firm", 1, hotSchedules) })
        {
            foreach (var concurrency in concurrencies)
            {
                var round = await RoundAsync(azurite, broker, scenario, firmCount, perFirm, concurrency, latencyMs);
                rounds.Add(round);
                var ceiling = raw.Parallel / Math.Max(0.001, round.OpsPerRun);
                Console.WriteLine($"| {scenario} | {concurrency} | {round.Runs} | {round.Seconds:F1} s | {round.RunsPerSecond:F1} | {round.OpsPerRun:F2} | {round.OpsPerRun * round.RunsPerSecond:F0} | {round.RunsPerSecond / ceiling:P0} | {round.Charges} |");
            }
        }

        var best = rounds.Where(r => r.Scenario == "many firms").MaxBy(r => r.RunsPerSecond)!;
        var hot = rounds.Where(r => r.Scenario == "one hot firm").MaxBy(r => r.RunsPerSecond)!;
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant(
            $"drain: best {best.RunsPerSecond:F0} runs/s at concurrency {best.Concurrency}; {best.OpsPerRun:F2} Table ops/run; raw {raw.Parallel:F0} writes/s; charges {(best.OneChargePerRun ? best.Runs : best.Charges)} of {best.Runs} runs; hot firm: {hot.RunsPerSecond:F0} runs/s, {hot.OpsPerRun:F2} ops/run, charges {(hot.OneChargePerRun ? hot.Runs : hot.Charges)} of {hot.Runs}"));
    }

    private static async Task<Round> RoundAsync(Azurite azurite, LocalServiceBusBroker broker, string scenario, int firms, int schedulesPerFirm, int concurrency, int latencyMs)
    {
        var id = $"{(firms == 1 ? "h" : "m")}{concurrency}";
        var queueName = $"runs-{id}";
        broker.AddQueue(new QueueOptions { Name = queueName, LockDuration = TimeSpan.FromSeconds(60), RequiresDuplicateDetection = true });
        await using var provider = Build(azurite, broker, queueName, "b" + id, latencyMs);
        var store = (CountingRecordStore)provider.GetRequiredService<IRecordStore>();
        var keys = await SeedAsync(store, firms, schedulesPerFirm, id);
        await using (var queue = new ServiceBusRunQueue(provider.GetRequiredService<ServiceBusClient>(), new QueueNames(queueName)))
        {
            await queue.SendAsync(keys.Select(k => new RunDispatch(k, null)).ToList(), CancellationToken.None);
        }

        store.Reset();
        var drain = provider.GetRequiredService<QueueDrain>();
        var timer = Stopwatch.StartNew();
        var result = await drain.DrainAsync(queueName, provider.GetRequiredService<RunProcessor>(), new DrainOptions
        {
            MaxConcurrency = concurrency,
            TimeBudget = TimeSpan.FromMinutes(10),
            IdleWait = TimeSpan.FromSeconds(1),
        }, CancellationToken.None);
        timer.Stop();

        // The idle wait at the end (one empty receive) is not work; take it out of the wall time.
        var seconds = Math.Max(0.001, timer.Elapsed.TotalSeconds - 1);
        var charges = provider.GetRequiredService<SandboxPaymentGateway>().Charges;
        if (Breakdown)
        {
            var runs = Math.Max(1, result.Completed);
            Console.WriteLine($"  {scenario}, concurrency {concurrency}: Table ops per run by kind");
            foreach (var (kind, count) in store.ByKind.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal))
            {
                Console.WriteLine(FormattableString.Invariant($"    {(double)count / runs,6:F2}  {kind}"));
            }
        }

        return new Round(scenario, concurrency, result.Completed, seconds, (double)store.Operations / Math.Max(1, result.Completed),
            charges.Count, charges.Select(c => c.RunKey).Distinct(StringComparer.Ordinal).Count());
    }

    private static ServiceProvider Build(Azurite azurite, LocalServiceBusBroker broker, string queue, string prefix, int latencyMs)
    {
        var settings = new Dictionary<string, string?>
        {
            [AppSettings.ServiceBusConnectionString] = broker.ConnectionString,
            [AppSettings.ServiceBusRunsQueue] = queue,
            [AppSettings.GatewayKind] = "Sandbox",
            [AppSettings.EmailTransport] = "Sink",
            [AppSettings.EmailSenderAddress] = "bench@payconnect.local",
            [AppSettings.EmailSinkDirectory] = Path.Combine(Path.GetTempPath(), "payconnect-bench-mail"),
            [AppSettings.NotificationsUnsubscribeKey] = "benchmark-only-unsubscribe-signing-key-0123456789",
        };
        var configuration = new ConfigurationBuilder().AddAppSettings(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Error));
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IClock>(new FakeClock(Instant.FromUtc(2026, 3, 2, 15, 0)));
        var tables = new TableStorage(azurite.CreateServiceClient(), prefix);
        services.AddSingleton(tables);
        services.AddSingleton<IRecordStore>(new CountingRecordStore(new TableRecordStore(tables)));
        services.AddSingleton<IMmsConnector>(sp => new SlowMms(ActivatorUtilities.CreateInstance<MirrorMmsConnector>(sp), latencyMs));
        services.AddPayConnect();
        services.AddSingleton<IPaymentGateway>(sp => new SlowGateway(sp.GetRequiredService<SandboxPaymentGateway>(), latencyMs));
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Firms as the API leaves them (settings, a bank account, the mirror with its outstanding copies, payers, methods,
    /// client associations and UpTo schedules enrolled in them, already on the ledger layout), written in batches.
    /// </summary>
    private static async Task<List<RunKey>> SeedAsync(IRecordStore store, int firms, int schedulesPerFirm, string id)
    {
        var now = Instant.FromUtc(2026, 3, 1, 12, 0);
        var keys = new List<RunKey>();
        for (var f = 0; f < firms; f++)
        {
            var firm = $"firm-{id}-{f:D3}";
            var bank = new BankAccount("ba_1", "Operating", BankAccountKind.Operating, "1234", now);
            await store.UpsertAsync(firm, new FirmSettings(firm, firm, "America/Chicago", "USD", now), default);
            await store.UpsertAsync(firm, bank, default);
            await store.UpsertAsync(firm, new LedgerMigrationMarker(now, 0, 0, 0, 0, 0), default);
            if (WithNotices)
            {
                await store.UpsertAsync(firm, new NotificationSubscription("accounts@" + firm + ".example", "Accounts", [NotificationTypes.PaymentReceipt], now), default);
            }

            var clients = new List<MmsClient>();
            var invoices = new List<MmsInvoice>();
            var payers = new List<Payer>();
            var methods = new List<PaymentMethod>();
            var associations = new List<Association>();
            var schedules = new List<Schedule>();
            for (var s = 0; s < schedulesPerFirm; s++)
            {
                var client = $"C-{s:D4}";
                var payer = $"py_{s:D4}";
                clients.Add(new MmsClient(client, "Client " + s));
                for (var i = 0; i < 3; i++)
                {
                    invoices.Add(new MmsInvoice($"INV-{s:D4}-{i}", client, $"M-{s:D4}", new LocalDate(2026, 1, 5).PlusDays(i * 10), new LocalDate(2026, 2, 5).PlusDays(i * 10), 50_000, 20_000 + (i * 5_000), "USD"));
                }

                var method = new PaymentMethod("pm_1", payer, PaymentMethodKind.Card, SandboxPaymentGateway.Approve, "Visa", "4242", 1, 2030, now);
                var association = new Association(Association.IdOf(AssociationLevel.Client, client), payer, AssociationLevel.Client, client, null, null, client, now);
                var payerRecord = new Payer(payer, "Payer " + s, null, now)
                {
                    Contacts = WithNotices ? new PayerContacts([$"ap{s:D4}@payer.example"], [NotificationTypes.PaymentReceipt], now) : null,
                };
                payers.Add(payerRecord);
                methods.Add(method);
                associations.Add(association);
                schedules.Add(new Schedule($"as_{s:D4}", payer, "pm_1", "bench", "ba_1", null, "Monthly", RunDate, AmountRuleKind.UpTo, 60_000, "USD",
                    ScheduleState.Active, [association.Id], now, now, Lifetime: ScheduleLifetime.OneYear)
                {
                    EnrolledScopes = [EnrolledScope.Of(association)],
                    Charging = ScheduleCharging.Of(method, bank),
                    PayerCopy = PayerCopy.Of(payerRecord),
                });
                keys.Add(new RunKey(firm, $"as_{s:D4}", RunDate));
            }

            await UpsertAllAsync(store, firm, clients);
            await UpsertAllAsync(store, firm, invoices);
            await UpsertAllAsync(store, firm, invoices.Select(i => new MmsOutstandingInvoice(i)).ToList());
            await UpsertAllAsync(store, firm, payers);
            await UpsertAllAsync(store, firm, methods);
            await UpsertAllAsync(store, firm, associations);
            await UpsertAllAsync(store, firm, schedules);
        }

        // Interleave the firms' runs on the queue, as a fan-out over many firms sends them.
        return keys.OrderBy(k => k.ScheduleId, StringComparer.Ordinal).ThenBy(k => k.FirmId, StringComparer.Ordinal).ToList();
    }

    private static async Task UpsertAllAsync<T>(IRecordStore store, string firm, IReadOnlyList<T> records)
        where T : IFirmRecord
    {
        foreach (var chunk in records.Chunk(100))
        {
            await store.UpsertAllAsync(firm, chunk, default);
        }
    }

    private static async Task<(double Sequential, double Parallel)> RawWriteRateAsync(TableServiceClient service)
    {
        var table = service.GetTableClient("benchraw");
        await table.CreateIfNotExistsAsync();
        const int count = 1000;
        var timer = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await table.UpsertEntityAsync(new TableEntity("seq", i.ToString("D6")) { ["Json"] = "{\"amountMinor\":12345}" });
        }

        var sequential = count / timer.Elapsed.TotalSeconds;
        using var gate = new SemaphoreSlim(16);
        timer.Restart();
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await table.UpsertEntityAsync(new TableEntity("par", i.ToString("D6")) { ["Json"] = "{\"amountMinor\":12345}" });
            }
            finally
            {
                gate.Release();
            }
        }));
        return (sequential, count / timer.Elapsed.TotalSeconds);
    }

    private sealed class SlowMms(IMmsConnector inner, int latencyMs) : IMmsConnector
    {
        public async Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken)
        {
            await Task.Delay(latencyMs, cancellationToken);
            return await inner.SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken);
        }

        public async Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken)
        {
            await Task.Delay(latencyMs, cancellationToken);
            return await inner.FindAsync(firmId, scope, cancellationToken);
        }

        public async Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken)
        {
            await Task.Delay(latencyMs, cancellationToken);
            return await inner.OutstandingInvoicesAsync(firmId, scopes, cancellationToken);
        }
    }

    private sealed class SlowGateway(IPaymentGateway inner, int latencyMs) : IPaymentGateway
    {
        public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
        {
            await Task.Delay(latencyMs, cancellationToken);
            return await inner.ChargeAsync(request, cancellationToken);
        }

        public async Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken)
        {
            await Task.Delay(latencyMs, cancellationToken);
            return await inner.FindChargeAsync(lookup, cancellationToken);
        }

        public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

        public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

        public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
    }
}
