using PayConnect.Walkthrough;

var options = new WalkthroughOptions();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--base-url" when i + 1 < args.Length && Uri.TryCreate(args[i + 1], UriKind.Absolute, out var url):
            options = options with { BaseUrl = url };
            i++;
            break;
        case "--firm" when i + 1 < args.Length:
            options = options with { FirmId = args[++i] };
            break;
        case "--help" or "-h":
            Console.WriteLine("Usage: dotnet run --project tools/PayConnect.Walkthrough -- [--base-url http://localhost:7071] [--firm demo-firm]");
            Console.WriteLine("Drives the HTTP API of a running dev host (bash tools/run-local.sh) end to end and prints each step.");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'; try --help.");
            return 2;
    }
}

using var http = new HttpClient { BaseAddress = options.BaseUrl, Timeout = TimeSpan.FromMinutes(5) };
try
{
    await new Walkthrough(http, Console.Out, options).RunAsync();
    return 0;
}
catch (WalkthroughException ex)
{
    Console.Out.Flush();
    Console.Error.WriteLine();
    Console.Error.WriteLine($"Walkthrough FAILED: {ex.Message}");
    return 1;
}
