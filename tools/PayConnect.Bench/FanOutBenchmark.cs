using System.Diagnostics;
using NodaTime;
using NodaTime.Testing;
using PayConnect.Connect;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Storage;
using PayConnect.LocalEmulators;
using PayConnect.Scheduling;
using PayConnect.ServiceBusBroker;

namespace PayConnect.Bench;

/// <summary>
/// 100,000 schedules stored; 1,000 due on one day and 10,000 on another. Prints the fan-out time, messages sent
/// and Table entities read for each, beside the entities a scan of every schedule would read.
/// </summary>
public static class FanOutBenchmark
{
    private static readonly LocalDate SmallDay = new(2026, 4, 1);
    private static readonly LocalDate LargeDay = new(2026, 4, 15);

    public static async Task RunAsync(int schedules, int firms)
    {
        Console.WriteLine($"fan-out benchmark: {schedules:N0} schedules across {firms} firms; 1,000 due on {SmallDay:yyyy-MM-dd}, 10,000 due on {LargeDay:yyyy-MM-dd}");
        await using var azurite = await Azurite.StartAsync();
        await using var broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions
        {
            Port = 0,
            Queues = { new QueueOptions { Name = "autopay-runs", RequiresDuplicateDetection = true, DuplicateDetectionHistoryTimeWindow = TimeSpan.FromMinutes(10) } },
        });
        var tables = new TableStorage(azurite.CreateServiceClient(), "bench");
        var store = new CountingRecordStore(new TableRecordStore(tables));
        var clock = new FakeClock(Instant.FromUtc(2026, 3, 1, 12, 0));
        var index = new DueIndex(store);

        var seeding = Stopwatch.StartNew();
        await SeedAsync(store, schedules, firms, clock.GetCurrentInstant());
        Console.WriteLine($"seeded {schedules:N0} schedules and their due-index entries in {seeding.Elapsed.TotalSeconds:F1} s");

        await using var client = new Azure.Messaging.ServiceBus.ServiceBusClient(broker.ConnectionString);
        await using var queue = new ServiceBusRunQueue(client, new QueueNames("autopay-runs"));
        var fanOut = new FanOut(store, index, new PayConnect.Runs.RunRetries(store), queue, clock);

        Console.WriteLine();
        Console.WriteLine("| runs due | schedules stored | fan-out time | messages sent | entities read | entities read / run | a full scan would read |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (day, due) in new[] { (SmallDay, 1_000), (LargeDay, 10_000) })
        {
            clock.Reset(new LocalDateTime(day.Year, day.Month, day.Day, 9, 0).InUtc().ToInstant());
            store.Reset();
            var timer = Stopwatch.StartNew();
            var result = await fanOut.RunAsync("bench", CancellationToken.None);
            timer.Stop();
            Console.WriteLine($"| {due:N0} | {schedules:N0} | {timer.Elapsed.TotalSeconds:F2} s | {result.RunsSent:N0} | {store.EntitiesRead:N0} | {(double)store.EntitiesRead / Math.Max(1, result.RunsSent):F2} | {schedules:N0} |");
        }

        Console.WriteLine();
        Console.WriteLine("entities read grow with the runs due (10x the runs -> about 10x the reads), not with the schedules stored.");
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

    private static async Task SeedAsync(CountingRecordStore store, int schedules, int firms, Instant now)
    {
        var perFirm = schedules / firms;
        var seeded = 0;
        var entries = new Dictionary<LocalDate, List<DueIndexEntry>>();
        using var gate = new SemaphoreSlim(8);
        var writes = new List<Task>();
        for (var f = 0; f < firms; f++)
        {
            var firmId = $"firm-{f:D4}";
            await store.UpsertAsync(firmId, new FirmSettings(firmId, firmId, "UTC", "USD", now), CancellationToken.None);
            var batch = new List<Schedule>(100);
            for (var i = 0; i < perFirm; i++)
            {
                var n = (f * perFirm) + i;
                var first = n % 100 == 0 ? SmallDay : n % 10 == 1 ? LargeDay : new LocalDate(2026, 6, 1).PlusDays(n % 300);
                var schedule = new Schedule($"as_{n:D6}", "py_1", "pm_1", "bench", "ba_1", null, "Monthly", first, AmountRuleKind.PayAllOutstanding, null, "USD",
                    ScheduleState.Active, ["client-x"], now, now, Lifetime: ScheduleLifetime.OneYear).WithNextRun();
                batch.Add(schedule);
                if (!entries.TryGetValue(first, out var list))
                {
                    entries[first] = list = [];
                }

                list.Add(new DueIndexEntry(firmId, schedule.Id, first));
                if (batch.Count == 100 || i == perFirm - 1)
                {
                    var rows = batch.ToList();
                    writes.Add(Throttled(gate, () => store.UpsertAllAsync(firmId, rows, CancellationToken.None)));
                    batch.Clear();
                }
            }

            seeded += perFirm;
            if (f % 10 == 9)
            {
                Console.WriteLine($"  seeded {seeded:N0}");
            }
        }

        foreach (var (date, list) in entries)
        {
            foreach (var chunk in list.Chunk(100))
            {
                writes.Add(Throttled(gate, () => store.UpsertAllAsync(DueIndexEntry.PartitionOf(date), chunk, CancellationToken.None)));
            }
        }

        await Task.WhenAll(writes);
        await store.UpsertAsync(DueIndexCursor.Partition, new DueIndexCursor(new LocalDate(2026, 3, 1)), CancellationToken.None);
    }
}
