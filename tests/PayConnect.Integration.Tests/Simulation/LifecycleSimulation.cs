using System.Diagnostics;
using System.Globalization;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Integration.Tests.Simulation.Model;
using Xunit.Abstractions;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>How many seeds and steps to run (CI's fixed set, or a replay, or a soak), from the environment.</summary>
public sealed record SimulationOptions(IReadOnlyList<int> Seeds, int Steps, int Firms, int SchedulesPerFirm)
{
    /// <summary>The seeds CI runs: together they cover every frequency, level, rule and disruption.</summary>
    public static readonly int[] CiSeeds = [11, 23, 37];

    public const int CiSteps = 110;

    /// <summary>
    /// <c>PAYCONNECT_SIM_SEED=123</c> (or <c>123,456</c>) replays seeds; <c>PAYCONNECT_SIM_SEEDS=N</c> soaks N seeds from
    /// <c>PAYCONNECT_SIM_FIRST_SEED</c> (default 1000); <c>PAYCONNECT_SIM_STEPS</c> sets the steps per seed.
    /// </summary>
    public static SimulationOptions FromEnvironment()
    {
        var steps = int.TryParse(Environment.GetEnvironmentVariable("PAYCONNECT_SIM_STEPS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : CiSteps;
        var seeds = Environment.GetEnvironmentVariable("PAYCONNECT_SIM_SEED") is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray()
            : int.TryParse(Environment.GetEnvironmentVariable("PAYCONNECT_SIM_SEEDS"), CultureInfo.InvariantCulture, out var count) && count > 0
                ? Enumerable.Range(int.TryParse(Environment.GetEnvironmentVariable("PAYCONNECT_SIM_FIRST_SEED"), CultureInfo.InvariantCulture, out var first) ? first : 1000, count).ToArray()
                : CiSeeds;
        return new SimulationOptions(seeds, steps, Firms: 3, SchedulesPerFirm: 4);
    }

    public string ReplayCommand(int seed) =>
        $"PAYCONNECT_SIM_SEED={seed} PAYCONNECT_SIM_STEPS={Steps} dotnet test tests/PayConnect.Integration.Tests --filter FullyQualifiedName~LifecycleSimulation";
}

/// <summary>
/// One seed's story: firms and schedules are set up, then each step happens (through the API, the clock and the timers,
/// with the step's disruptions), the queue is settled, and the product is checked against the model and the invariants.
/// Stops at the first step where they disagree and says how to replay it.
/// </summary>
public sealed class LifecycleSimulation(Emulators emulators, SimulationOptions options, int seed, ITestOutputHelper output)
{
    private readonly List<string> _log = [];
    private readonly Stopwatch _settling = new();
    private readonly Stopwatch _observing = new();
    private readonly Stopwatch _checking = new();

    public async Task RunAsync()
    {
        var random = new Random(seed);
        var engine = new EngineSettings(
            RetryAfterDays: random.Next(1, 4),
            MaxSoftDeclineRetries: random.Next(1, 4),
            ParkFor: TimeSpan.FromHours(1),
            MmsTries: 3,
            GatewayTries: 3);
        var world = new WorldModel
        {
            Settings = engine,
            Now = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero).AddDays(random.Next(0, 540)).AddMinutes(random.Next(0, 24 * 60)),
        };
        var drainConcurrency = random.Next(2, 9);
        Log($"seed {seed}: {options.Steps} steps from {world.Now:u}; retry after {engine.RetryAfterDays} d, {engine.MaxSoftDeclineRetries} soft retries, drain concurrency {drainConcurrency}");

        await using var driver = Driver.Start(emulators, seed, engine, drainConcurrency);
        var observer = new Observer(driver.Host, emulators, driver.Staff);
        var generator = new StepGenerator(seed, world);
        var watch = Stopwatch.StartNew();
        var step = 0;
        try
        {
            driver.SetClock(world.Now);
            foreach (var create in generator.Setup(options.Firms, options.SchedulesPerFirm))
            {
                await PerformAsync(driver, world, create, step);
            }

            foreach (var firm in world.Firms.ToList())
            {
                for (var i = 0; i < options.SchedulesPerFirm; i++)
                {
                    await PerformAsync(driver, world, generator.FirstSchedule(firm), step);
                }
            }

            await SettleAndCheckAsync(driver, observer, world, Disruption.None);
            for (step = 1; step <= options.Steps; step++)
            {
                var next = generator.Next(step, options.Steps);
                await PerformAsync(driver, world, next, step);
                await SettleAndCheckAsync(driver, observer, world, next.Disruption);
            }
        }
        catch (SimulationFailure failure)
        {
            throw new SimulationFailure(
                $"Lifecycle simulation seed {seed} failed at step {step} of {options.Steps} ({world.Now:u}, after {watch.Elapsed.TotalSeconds:0} s):\n{failure.Message}\n\n"
                + $"Replay: {options.ReplayCommand(seed)}\n\n"
                + $"Schedules:\n{string.Join("\n", world.Firms.SelectMany(f => f.Schedules.Values.Select(s => $"  {f.Id} ({f.ZoneId}) {s.Describe()}")))}\n\n"
                + $"Steps (last 60):\n{string.Join("\n", _log.TakeLast(60))}");
        }

        var runs = world.Firms.SelectMany(f => f.Schedules.Values.SelectMany(s => s.Runs.Values)).ToList();
        output.WriteLine(
            $"seed {seed}: {options.Steps} steps in {watch.Elapsed.TotalSeconds:0} s to {world.Now:u}; {world.Firms.Sum(f => f.Schedules.Count)} schedules, {runs.Count} runs "
            + $"({string.Join(", ", runs.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}"))}), "
            + $"{world.Firms.Sum(f => f.Schedules.Values.Count(s => s.Status == ScheduleStatus.Ended))} ended, {driver.Store.Injected} storage faults injected; "
            + $"settling {_settling.Elapsed.TotalSeconds:0} s, reading {_observing.Elapsed.TotalSeconds:0} s, checking {_checking.Elapsed.TotalSeconds:0} s");
    }

    private async Task PerformAsync(Driver driver, WorldModel world, Step step, int index)
    {
        if (step is AdvanceClock clock)
        {
            world.Now += clock.By;
            driver.SetClock(world.Now);
        }

        Log($"{index,4} {world.Now:yyyy-MM-dd HH:mm}Z {step.Describe()} [{step.Disruption}]");
        var result = await driver.PerformAsync(step, world);
        if (ModelSteps.Apply(world, step, result) is { } problem)
        {
            throw new SimulationFailure($"{step.Describe()}: {problem}");
        }
    }

    private async Task SettleAndCheckAsync(Driver driver, Observer observer, WorldModel world, Disruption disruption)
    {
        _settling.Start();
        world.Now += await driver.FanOutAsync(disruption.StorageFaults, world.Now);
        var conditions = new SettleConditions(world.Now, disruption.MmsDown, disruption.GatewayDown);
        var work = world.Firms.ToDictionary(f => f.Id, f => ModelEngine.DueWork(f, conditions), StringComparer.Ordinal);
        await driver.SettleAsync(disruption, disruption.DuplicateDeliveries ? Duplicates(world, work) : []);
        _settling.Stop();

        _observing.Start();
        var view = await observer.ReadAsync(world, driver.Queue);
        _observing.Stop();
        _checking.Start();
        for (var i = 0; i < world.Firms.Count; i++)
        {
            var firm = world.Firms[i];
            var found = SettleSearch.Match(firm, work[firm.Id], conditions, world.Settings, (schedule, date) => view.Run(schedule, date));
            if (found.Firm is null)
            {
                throw new SimulationFailure($"{firm.Id} ({firm.ZoneId}, today {ModelCalendar.Iso(firm.Today(world.Now))}): {found.Diagnosis}");
            }

            ModelEngine.EndFinishedSchedules(found.Firm);
            world.Firms[i] = found.Firm;
        }

        var problems = Checks.All(world, view);
        _checking.Stop();
        if (problems.Count > 0)
        {
            throw new SimulationFailure(string.Join("\n", problems));
        }

        var handled = work.Values.Sum(w => w.Count);
        if (handled > 0)
        {
            Log($"       settled {handled} runs: {string.Join(", ", work.Values.SelectMany(w => w).Select(w => $"{w.Kind} {w.ScheduleId[^6..]}/{ModelCalendar.Iso(w.Date)}"))}");
        }
    }

    /// <summary>Extra copies of some run messages under other message ids: of runs just handed out (same body) and of older runs.</summary>
    private List<DuplicateMessage> Duplicates(WorldModel world, Dictionary<string, List<WorkItem>> work)
    {
        var random = new Random(seed ^ (int)(world.Now.UtcTicks / TimeSpan.TicksPerMinute % int.MaxValue));
        var fresh = work.SelectMany(w => w.Value.Where(i => i.Kind == WorkKind.NewRun).Select(i => new DuplicateMessage($"{w.Key}/{i.ScheduleId}/{ModelCalendar.Iso(i.Date)}", i.After))).ToList();
        var old = world.Firms.SelectMany(f => f.Schedules.Values.SelectMany(s => s.Runs.Keys.Select(d => new DuplicateMessage($"{f.Id}/{s.Id}/{ModelCalendar.Iso(d)}", null)))).ToList();
        return fresh.OrderBy(_ => random.Next()).Take(3).Concat(old.OrderBy(_ => random.Next()).Take(2)).ToList();
    }

    private void Log(string line)
    {
        _log.Add(line);
        output.WriteLine(line);
    }
}
