using System.Diagnostics;
using Azure.Messaging.ServiceBus;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class StandaloneTests
{
    [Fact]
    public async Task Standalone_PrintsConnectionStringAndReadyServesBrokerJsonAndStopsOnSigterm()
    {
        var start = new ProcessStartInfo("dotnet", ["PayConnect.ServiceBusBroker.dll", "--port", "0"])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            var connectionLine = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var readyLine = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));

            const string prefix = "Service Bus connection string: ";
            Assert.StartsWith(prefix, connectionLine);
            Assert.StartsWith("ready:", readyLine);
            await using (var client = new ServiceBusClient(connectionLine![prefix.Length..]))
            {
                await using var sender = client.CreateSender("autopay-runs");
                await using var receiver = client.CreateReceiver("autopay-runs");
                await sender.SendMessageAsync(new ServiceBusMessage("through the standalone broker"));
                var message = await receiver.ReceiveOneAsync();
                await receiver.CompleteMessageAsync(message);
                Assert.Equal("through the standalone broker", message.Body.ToString());
            }

            await Stop(process);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("broker stopped", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>SIGTERM, as a service manager would send it (POSIX only, like our machines and CI).</summary>
    private static async Task Stop(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }
}
