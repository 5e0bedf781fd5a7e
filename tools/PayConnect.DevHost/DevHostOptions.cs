using System.Globalization;

namespace PayConnect.DevHost;

/// <summary>Command-line options of the dev host.</summary>
public sealed record DevHostOptions
{
    public const string Usage = """
        Usage: dotnet run --project tools/PayConnect.DevHost -- [options]
               bash tools/run-local.sh [options]

          --port N           HTTP port of the functions (default 7071; 0 picks a free one)
          --in-memory        keep Azurite's data in memory instead of .local/azurite
          --azurite-port N   port of Azurite's table service (default 10002, or a free one when taken; 0 = any free one)
          --no-emulators     start no emulator; use the connection strings from settings as they are
          --root DIR         repository root (default: found from the current directory)
          --seed-demo        once started, create the demo firm's data through the HTTP API (idempotent)
          --mail-dir DIR     folder of the local mail sink (default: Email__SinkDirectory, .local/mail)
          --help             show this text
        """;

    public int Port { get; init; } = 7071;

    public bool InMemory { get; init; }

    public int? AzuritePort { get; init; }

    public bool StartEmulators { get; init; } = true;

    public string? RepositoryRoot { get; init; }

    public bool ShowHelp { get; init; }

    /// <summary>Create the demo firm's data (<see cref="Development.DemoSeed"/>) once the host listens.</summary>
    public bool SeedDemo { get; init; }

    /// <summary>Overrides <c>Email__SinkDirectory</c>, so tests can read their own mail only.</summary>
    public string? MailDirectory { get; init; }

    /// <summary>The functions.metadata to host; by default the one the build copied next to the dev host.</summary>
    public string MetadataPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "functions.metadata");

    /// <exception cref="ArgumentException">An option is unknown or its value is missing or invalid.</exception>
    public static DevHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DevHostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--port":
                    options = options with { Port = ParsePort(args, ref i) };
                    break;
                case "--azurite-port":
                    options = options with { AzuritePort = ParsePort(args, ref i) };
                    break;
                case "--in-memory":
                    options = options with { InMemory = true };
                    break;
                case "--no-emulators":
                    options = options with { StartEmulators = false };
                    break;
                case "--root":
                    options = options with { RepositoryRoot = Value(args, ref i) };
                    break;
                case "--seed-demo":
                    options = options with { SeedDemo = true };
                    break;
                case "--mail-dir":
                    options = options with { MailDirectory = Value(args, ref i) };
                    break;
                case "--help" or "-h" or "-?":
                    options = options with { ShowHelp = true };
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        return options;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new ArgumentException($"Option '{args[i]}' needs a value.");
        }

        i++;
        return args[i];
    }

    private static int ParsePort(IReadOnlyList<string> args, ref int i)
    {
        var name = args[i];
        var raw = Value(args, ref i);
        return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : throw new ArgumentException($"Option '{name}' needs a port number (0-65535), not '{raw}'.");
    }
}
