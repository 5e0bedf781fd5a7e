using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using NodaTime;
using NodaTime.Testing;
using PayConnect.Connect;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Storage;
using PayConnect.LocalEmulators;
using PayConnect.Scheduling;
using PayConnect.ServiceBusBroker;
using PayConnect.Storage;

namespace PayConnect.Bench;

/// <summary>
/// 100,000 schedules stored and indexed as the product indexes them; 1,000 due on one day and 10,000 on another. For
/// each size: the fan-out's time, the Table entities it read per run, the messages that reached the queue, and the raw
/// rate of sequential single-entity Table writes measured just before it on the same emulator (the yardstick: T x W is
/// the fan-out's time in units of single writes).
/// </summary>
public static class FanOutBenchmark
{
    private const string Queue = "autopay-runs";
    private static readonly LocalDate SmallDay = new(2026, 4, 1);
    private static readonly LocalDate LargeDay = new(2026, 4, 15);

    public static async Task RunAsync(int schedules, int firms)
    {
        Console.WriteLine($"fan-out benchmark: {schedules:N0} schedules across {firms} firms; 1,000 due on {SmallDay:yyyy-MM-dd}, 10,000 due on {LargeDay:yyyy-MM-dd}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} before seeding");
        await using var azurite = await Azurite.StartAsync();
        await using var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions
        {
            Port = 0,
            Queues = { new QueueOptions { Name = Queue, RequiresDuplicateDetection = true, DuplicateDetectionHistoryTimeWindow = TimeSpan.FromMinutes(10) } },
        });
        var tables = new TableStorage(azurite.CreateServiceClient(), "bench");
        var store = new CountingRecordStore(new TableRecordStore(tables));
        var clock = new FakeClock(Instant.FromUtc(2026, 3, 1, 12, 0));
        var index = new DueIndex(store, clock);

        var seeding = Stopwatch.StartNew();
        await SeedAsync(store, index, schedules, firms, clock.GetCurrentInstant());
        Console.WriteLine($"seeded {schedules:N0} schedules and their due-index entries in {seeding.Elapsed.TotalSeconds:F1} s");

        await using var client = new Azure.Messaging.ServiceBus.ServiceBusClient(broker.ConnectionString);
        await using var queue = new ServiceBusRunQueue(client, new QueueNames(Queue));
        var fanOut = new FanOut(store, index, new PayConnect.Runs.RunRetries(store), queue, clock) { Concurrency = int.TryParse(Environment.GetEnvironmentVariable("FANOUT_CONCURRENCY"), out var c) ? c : 4 };

        foreach (var (day, due) in new[] { (SmallDay, 1_000), (LargeDay, 10_000) })
        {
            Console.WriteLine();
            Console.WriteLine($"{due:N0} due on {day:yyyy-MM-dd} (load average {LoadAverage()})");
            var raw = await SequentialWritesPerSecondAsync(azurite.CreateServiceClient(), 500);

            // As a fan-out running every few minutes leaves it: at the earliest date any zone was on at its last tick.
            await store.UpsertAsync(DueIndexCursor.Partition, new DueIndexCursor(day.PlusDays(-1)), CancellationToken.None);
            var before = broker.GetMessageCounts(Queue).ActiveMessageCount;
            clock.Reset(new LocalDateTime(day.Year, day.Month, day.Day, 9, 0).InUtc().ToInstant());
            store.Reset();
            var timer = Stopwatch.StartNew();
            var result = await fanOut.RunAsync("bench", CancellationToken.None);
            timer.Stop();
            var operations = store.Operations;
            var read = store.EntitiesRead;
            var messages = broker.GetMessageCounts(Queue).ActiveMessageCount - before;
            var seconds = timer.Elapsed.TotalSeconds;
            Console.WriteLine($"  runs sent {result.RunsSent:N0}; schedules read {result.SchedulesRead:N0}; Table requests {operations:N0} ({(double)operations / Math.Max(1, result.RunsSent):F2} per run); entities read {read:N0}; T x W = {seconds * raw:F0} single-write times");
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"fanout: {due} due of {schedules} schedules in {seconds:F2} s; {(double)read / Math.Max(1, result.RunsSent):F2} entities read per run; raw {raw:F0} writes/s; {messages} messages sent"));
        }
    }

    /// <summary>Sequential single-entity upserts per second on the same emulator, right now.</summary>
    private static async Task<double> SequentialWritesPerSecondAsync(TableServiceClient service, int count)
    {
        var table = service.GetTableClient("benchfanoutraw");
        await table.CreateIfNotExistsAsync();
        await table.UpsertEntityAsync(new TableEntity("warm", "0") { ["Json"] = "{}" });
        var timer = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            await table.UpsertEntityAsync(new TableEntity("seq", i.ToString("D6", CultureInfo.InvariantCulture)) { ["Json"] = "{\"lastSentRunDate\":\"2026-04-15\"}" });
        }

        return count / timer.Elapsed.TotalSeconds;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>Schedules stored in transactions per firm, then each indexed as a save indexes it (carrying the stored version).</summary>
    private static async Task SeedAsync(IRecordStore store, DueIndex index, int schedules, int firms, Instant now)
    {
        var perFirm = schedules / firms;
        using var gate = new SemaphoreSlim(8);
        var entries = new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<DueIndexEntry>>(StringComparer.Ordinal);
        var writes = new List<Task>();
        var seeded = 0;
        for (var f = 0; f < firms; f++)
        {
            var firmId = $"firm-{f:D4}";
            await store.UpsertAsync(firmId, new FirmSettings(firmId, firmId, "UTC", "USD", now), CancellationToken.None);
            var batch = new List<Schedule>(100);
            for (var i = 0; i < perFirm; i++)
            {
                var n = (f * perFirm) + i;
                var first = n % 100 == 0 ? SmallDay : n % 10 == 1 ? LargeDay : new LocalDate(2026, 6, 1).PlusDays(n % 300);
                batch.Add(new Schedule($"as_{n:D6}", "py_1", "pm_1", "bench", "ba_1", null, "Monthly", first, AmountRuleKind.PayAllOutstanding, null, "USD",
                    ScheduleState.Active, ["client-x"], now, now, Lifetime: ScheduleLifetime.OneYear)
                {
                    EnrolledScopes = [new EnrolledScope("client-x", AssociationLevel.Client, "C-100", "C-100", null)],
                }.WithNextRun());
                if (batch.Count == 100 || i == perFirm - 1)
                {
                    var rows = batch.ToList();
                    writes.Add(Throttled(gate, async () =>
                    {
                        var etags = await store.CommitAsync(firmId, rows.Select(r => RecordWrite.Insert(r)).ToList(), CancellationToken.None);
                        for (var k = 0; k < rows.Count; k++)
                        {
                            var entry = index.Carrying(firmId, new Stored<Schedule>(rows[k], etags[k]!), "UTC", rows[k].NextRunDate!.Value);
                            entries.GetOrAdd(entry.Partition, _ => []).Add(entry);
                        }
                    }));
                    batch.Clear();
                }
            }

            seeded += perFirm;
            if (f % 20 == 19)
            {
                Console.WriteLine($"  stored {seeded:N0} schedules");
            }
        }

        await Task.WhenAll(writes);
        writes.Clear();
        foreach (var (partition, list) in entries)
        {
            foreach (var chunk in list.Chunk(100))
            {
                writes.Add(Throttled(gate, () => store.CommitAsync(partition, chunk.Select(e => RecordWrite.Upsert(e)).ToList(), CancellationToken.None)));
            }
        }

        await Task.WhenAll(writes);
        await store.UpsertAsync(DueIndexCursor.Partition, new DueIndexCursor(new LocalDate(2026, 3, 1)), CancellationToken.None);
    }

    private static async Task Throttled(SemaphoreSlim gate, Func<Task> write)
    {
        await gate.WaitAsync();
        try
        {
            await write();
        }
        finally
        {
            gate.Release();
        }
    }
}
