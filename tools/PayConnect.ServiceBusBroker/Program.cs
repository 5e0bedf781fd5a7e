using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PayConnect.ServiceBusBroker;

// Standalone local Service Bus broker. Stdout carries exactly two lines (the connection string, then "ready: ...")
// so scripts can wait for them; logs go to stderr.
const string Usage = "usage: PayConnect.ServiceBusBroker [--port N] [--config broker.json] [--verbose]";

int? port = null;
var configPath = Path.Combine(AppContext.BaseDirectory, "broker.json");
var verbose = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value):
            port = value;
            i++;
            break;
        case "--config" when i + 1 < args.Length:
            configPath = args[++i];
            break;
        case "--verbose":
            verbose = true;
            break;
        default:
            await Console.Error.WriteLineAsync(Usage);
            return args[i] is "--help" or "-h" ? 0 : 2;
    }
}

BrokerOptions options;
try
{
    options = BrokerOptions.Load(configPath);
    if (port is { } chosen)
    {
        options.Port = chosen;
    }
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or System.Text.Json.JsonException)
{
    await Console.Error.WriteLineAsync($"Cannot read broker configuration '{configPath}': {ex.Message}");
    return 2;
}

using var loggerFactory = LoggerFactory.Create(logging => logging
    .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
    .AddSimpleConsole(console =>
    {
        console.SingleLine = true;
        console.TimestampFormat = "HH:mm:ss.fff ";
    })
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.TrySetResult();
});

await using (var broker = await LocalServiceBusBroker.StartAsync(options, loggerFactory))
{
    Console.WriteLine($"Service Bus connection string: {broker.ConnectionString}");
    Console.WriteLine($"ready: listening on localhost:{broker.Port} (queues: {string.Join(", ", broker.QueueNames)}); Ctrl+C stops");
    await stop.Task;
}

return 0;
