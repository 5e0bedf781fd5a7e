using PayConnect.Bench;

// Benchmarks print their figures; run them in Release: dotnet run -c Release --project tools/PayConnect.Bench -- <command>
var command = args.FirstOrDefault() ?? "help";
switch (command)
{
    case "fanout":
        await FanOutBenchmark.RunAsync(schedules: Arg("--schedules", 100_000), firms: Arg("--firms", 100));
        return 0;
    case "drain":
        DrainBenchmark.Breakdown = args.Contains("--breakdown");
        DrainBenchmark.WithNotices = args.Contains("--with-notices");
        await DrainBenchmark.RunAsync(
            firms: Arg("--firms", 50), schedulesPerFirm: Arg("--schedules-per-firm", 20), hotSchedules: Arg("--hot-schedules", 1000),
            concurrencies: [16, 64, 128], latencyMs: Arg("--latency-ms", 50));
        return 0;
    default:
        Console.WriteLine("usage: dotnet run -c Release --project tools/PayConnect.Bench -- fanout [--schedules 100000] [--firms 100]");
        Console.WriteLine("       dotnet run -c Release --project tools/PayConnect.Bench -- drain [--firms 50] [--schedules-per-firm 20] [--hot-schedules 1000] [--latency-ms 50] [--breakdown] [--with-notices]");
        return command == "help" ? 0 : 2;
}

int Arg(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) ? value : fallback;
}
