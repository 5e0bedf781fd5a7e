using System.Diagnostics;
using Azure.Data.Tables;

namespace PayConnect.LocalEmulators;

/// <summary>
/// Starts the Azurite table service from the repository's pinned npm package on a free loopback port,
/// in memory, for the life of the test run. Installs the npm packages first when they are missing.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;

    private Azurite(Process process, int port)
    {
        _process = process;
        Port = port;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }

    public int Port { get; }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        var root = RepoPaths.Root;
        var main = Path.Combine(root, "node_modules", "azurite", "dist", "src", "table", "main.js");
        if (!File.Exists(main))
        {
            await RunAsync("npm", "ci --no-audit --no-fund", root);
        }

        var port = LoopbackPorts.Free();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--require", Path.Combine(AppContext.BaseDirectory, "exit-with-parent.js"), main, "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new Azurite(process, port);
        await azurite.WaitUntilReadyAsync();
        return azurite;
    }

    public TableServiceClient CreateServiceClient() => new(ConnectionString);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        var client = CreateServiceClient();
        while (true)
        {
            try
            {
                await foreach (var _ in client.QueryAsync(maxPerPage: 1))
                {
                    break;
                }

                return;
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !_process.HasExited)
            {
                await Task.Delay(200);
            }
        }
    }


    private static async Task RunAsync(string file, string args, string workingDirectory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { WorkingDirectory = workingDirectory, UseShellExecute = false })
            ?? throw new InvalidOperationException($"Could not start {file}.");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {args} exited with {process.ExitCode}.");
        }
    }
}
