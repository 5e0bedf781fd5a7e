using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using PayConnect.Infrastructure.Configuration;

using PayConnect.LocalEmulators;

namespace PayConnect.DevHost.Emulators;

/// <summary>
/// Azurite's table service from the repository's pinned npm package, on 127.0.0.1. Data persists in
/// .local/azurite unless --in-memory; the process is tied to the dev host and stopped with it.
/// </summary>
internal sealed class AzuriteEmulator : ILocalEmulator
{
    public const int DefaultPort = 10002;

    // Azurite's well-known development account (public, documented by Microsoft; not a secret).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly OutputTail _output = new(40);
    private Process? _process;

    public static string ConnectionString(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;");

    public async Task<IReadOnlyDictionary<string, string>> StartAsync(EmulatorContext context, CancellationToken cancellationToken)
    {
        var none = new Dictionary<string, string>();
        if (!context.Options.StartEmulators)
        {
            context.Console.Line($"Table Storage: {AppSettings.StorageConnectionString} from settings (--no-emulators)");
            return none;
        }

        if (!string.IsNullOrWhiteSpace(context.EnvironmentSetting<StorageOptions>().ConnectionString))
        {
            context.Console.Line($"Table Storage: {AppSettings.StorageConnectionString} from the environment (Azurite not started)");
            return none;
        }

        var root = context.RepositoryRoot;
        var main = Path.Combine(root, "node_modules", "azurite", "dist", "src", "table", "main.js");
        if (!File.Exists(main))
        {
            await NpmCiAsync(context, cancellationToken);
        }

        var watchdog = Path.Combine(AppContext.BaseDirectory, "Emulators", "exit-with-parent.js");
        if (!File.Exists(watchdog))
        {
            throw new DevHostStartupException($"{watchdog} is missing from the dev host's build output.");
        }

        // 0 asks for any free port: Azurite would listen on one, but the connection string must name it.
        var port = context.Options.AzuritePort switch
        {
            0 => LoopbackPorts.Free(),
            { } chosen => chosen,
            null => LoopbackPorts.IsFree(DefaultPort) ? DefaultPort : LoopbackPorts.Free(),
        };
        var location = Path.Combine(root, ".local", "azurite");
        var step = context.Console.Begin($"Starting Azurite on 127.0.0.1:{port}");
        try
        {
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = root,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            string[] args =
            [
                "--require", watchdog, main,
                "--tableHost", "127.0.0.1", "--tablePort", port.ToString(CultureInfo.InvariantCulture),
                "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
            ];
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            if (context.Options.InMemory)
            {
                start.ArgumentList.Add("--inMemoryPersistence");
            }
            else
            {
                Directory.CreateDirectory(location);
                start.ArgumentList.Add("--location");
                start.ArgumentList.Add(location);
            }

            await RunUntilStartedAsync(start, cancellationToken);
            step.Done(context.Options.InMemory ? "ready, data in memory" : $"ready, data in {Path.GetRelativePath(root, location)}");
        }
        catch
        {
            step.Failed();
            await DisposeAsync();
            throw;
        }

        return new Dictionary<string, string> { [AppSettings.StorageConnectionString] = ConnectionString(port) };
    }

    public async ValueTask DisposeAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                // Closing stdin lets Azurite save its data and exit (exit-with-parent.js); kill it if it does not.
                process.StandardInput.Close();
                using var wait = new CancellationTokenSource(StopTimeout);
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
        finally
        {
            process.Dispose();
        }
    }

    private async Task RunUntilStartedAsync(ProcessStartInfo start, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            _output.Add(e.Data);
            if (e.Data.Contains("successfully started", StringComparison.OrdinalIgnoreCase))
            {
                started.TrySetResult();
            }
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Exited += (_, _) =>
        {
            // Wait for the output to drain so that the message shows Azurite's last words.
            process.WaitForExit();
            started.TrySetException(new DevHostStartupException($"Azurite exited during startup:{Environment.NewLine}{_output}"));
        };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new DevHostStartupException("Cannot run 'node': install Node.js (20 or later) and put it on PATH.", ex);
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new DevHostStartupException($"Azurite did not start within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{_output}");
        }
    }

    private static async Task NpmCiAsync(EmulatorContext context, CancellationToken cancellationToken)
    {
        var step = context.Console.Begin("Installing the npm packages (npm ci) for Azurite");
        var output = new OutputTail(40);
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            WorkingDirectory = context.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "ci", "--no-audit", "--no-fund" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            step.Failed();
            throw new DevHostStartupException("Cannot run 'npm': install Node.js (20 or later, with npm) and put it on PATH.", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            step.Failed();
            throw new DevHostStartupException($"npm ci exited with {process.ExitCode}:{Environment.NewLine}{output}");
        }

        step.Done("done");
    }


}

/// <summary>The last lines a child process wrote, to show when it fails.</summary>
internal sealed class OutputTail(int capacity)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _lines.Select(l => "  " + l));
        }
    }
}
