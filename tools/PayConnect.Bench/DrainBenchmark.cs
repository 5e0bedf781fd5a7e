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
/// Runs per second through the drain (RunProcessor on the real queue and Table Storage) with the MMS and the
/// gateway each answering in 50 ms, the Table operations per run, and, in the same run, the raw Table write rate.
/// </summary>
public static class DrainBenchmark
{
    private static readonly LocalDate RunDate = new(2026, 3, 2);

    public static async Task RunAsync(int firms, int schedulesPerFirm, int[] concurrencies, int latencyMs)
    {
        var runs = firms * schedulesPerFirm;
        Console.WriteLine($"drain benchmark: {runs} runs per round ({firms} firms x {schedulesPerFirm} schedules), MMS and gateway {latencyMs} ms each");
        await using var azurite = await Azurite.StartAsync();
        await using var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions { Port = 0 });

        var raw = await RawWriteRateAsync(azurite.CreateServiceClient());
        Console.WriteLine($"baseline: raw Table writes (single upserts) {raw.Sequential:F0}/s sequential, {raw.Parallel:F0}/s with 16 in flight");
        Console.WriteLine();
        Console.WriteLine("| drain concurrency | runs | wall time | runs/s | Table ops/run | Table ops/s | ops/s vs raw parallel writes | charges |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");

        foreach (var concurrency in concurrencies)
        {
            var queueName = $"runs-c{concurrency}";
            broker.AddQueue(new QueueOptions { Name = queueName, LockDuration = TimeSpan.FromSeconds(60), RequiresDuplicateDetection = true });
            await using var provider = Build(azurite, broker, queueName, $"b{concurrency}", latencyMs);
            var store = (CountingRecordStore)provider.GetRequiredService<IRecordStore>();
            var keys = await SeedAsync(store, firms, schedulesPerFirm);
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
            var charges = provider.GetRequiredService<SandboxPaymentGateway>().Charges.Count;
            var opsPerRun = (double)store.Operations / Math.Max(1, result.Completed);
            Console.WriteLine($"| {concurrency} | {result.Completed} | {seconds:F1} s | {result.Completed / seconds:F1} | {opsPerRun:F1} | {store.Operations / seconds:F0} | {store.Operations / seconds / raw.Parallel:P0} | {charges} |");
        }
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

    private static async Task<List<RunKey>> SeedAsync(IRecordStore store, int firms, int schedulesPerFirm)
    {
        var now = Instant.FromUtc(2026, 3, 1, 12, 0);
        var keys = new List<RunKey>();
        for (var f = 0; f < firms; f++)
        {
            var firm = $"firm-{f:D3}";
            await store.UpsertAsync(firm, new FirmSettings(firm, firm, "America/Chicago", "USD", now), default);
            await store.UpsertAsync(firm, new BankAccount("ba_1", "Operating", BankAccountKind.Operating, "1234", now), default);
            var clients = new List<MmsClient>();
            var invoices = new List<MmsInvoice>();
            var schedules = new List<Schedule>();
            for (var s = 0; s < schedulesPerFirm; s++)
            {
                var client = $"C-{s:D3}";
                var payer = $"py_{s:D3}";
                clients.Add(new MmsClient(client, "Client " + s));
                for (var i = 0; i < 3; i++)
                {
                    invoices.Add(new MmsInvoice($"INV-{s:D3}-{i}", client, $"M-{s:D3}", new LocalDate(2026, 1, 5).PlusDays(i * 10), new LocalDate(2026, 2, 5).PlusDays(i * 10), 50_000, 20_000 + (i * 5_000), "USD"));
                }

                await store.UpsertAsync(firm, new Payer(payer, "Payer " + s, null, now), default);
                await store.UpsertAsync(firm, new PaymentMethod("pm_1", payer, PaymentMethodKind.Card, SandboxPaymentGateway.Approve, "Visa", "4242", 1, 2030, now), default);
                var association = new Association(Association.IdOf(AssociationLevel.Client, client), payer, AssociationLevel.Client, client, null, null, client, now);
                await store.UpsertAsync(firm, association, default);
                schedules.Add(new Schedule($"as_{s:D3}", payer, "pm_1", "bench", "ba_1", null, "Monthly", RunDate, AmountRuleKind.UpTo, 60_000, "USD",
                    ScheduleState.Active, [association.Id], now, now, Lifetime: ScheduleLifetime.OneYear));
                keys.Add(new RunKey(firm, $"as_{s:D3}", RunDate));
            }

            foreach (var chunk in clients.Chunk(100))
            {
                await store.UpsertAllAsync(firm, chunk, default);
            }

            foreach (var chunk in invoices.Chunk(100))
            {
                await store.UpsertAllAsync(firm, chunk, default);
            }

            foreach (var chunk in schedules.Chunk(100))
            {
                await store.UpsertAllAsync(firm, chunk, default);
            }
        }

        return keys;
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
    }
}
