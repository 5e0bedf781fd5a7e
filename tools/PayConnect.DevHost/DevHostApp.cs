using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using NodaTime;
using PayConnect.DevHost.Configuration;
using PayConnect.DevHost.Development;
using PayConnect.DevHost.Emulators;
using PayConnect.DevHost.Functions;
using PayConnect.DevHost.Timers;
using PayConnect.Functions;
using LoopbackPorts = PayConnect.LocalEmulators.LoopbackPorts;
using PayConnect.Infrastructure;
using PayConnect.Infrastructure.Observability;

namespace PayConnect.DevHost;

/// <summary>
/// Runs the function classes of functions/ the way the Functions host would, without Core Tools: HTTP
/// functions on their routes, timer functions on their schedules, over local emulators.
/// </summary>
public static class DevHostApp
{
    /// <summary>The console entry point: starts, serves until Ctrl+C, stops everything it started.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        DevHostOptions options;
        try
        {
            options = DevHostOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}{Environment.NewLine}{DevHostOptions.Usage}");
            return 2;
        }

        if (options.ShowHelp)
        {
            Console.WriteLine(DevHostOptions.Usage);
            return 0;
        }

        // Checked before anything starts, so a second dev host fails at once instead of after starting Azurite.
        if (options.Port != 0 && !LoopbackPorts.IsFree(options.Port))
        {
            await Console.Error.WriteLineAsync(PortInUse(options.Port));
            return 1;
        }

        // Until the host takes over Ctrl+C, it cancels starting (and stops what had started).
        using var starting = new CancellationTokenSource();
        ConsoleCancelEventHandler cancel = (_, e) =>
        {
            e.Cancel = true;
            starting.Cancel();
        };
        Console.CancelKeyPress += cancel;
        WebApplication app;
        try
        {
            app = await BuildAsync(options, Console.Out, starting.Token);
        }
        catch (OperationCanceledException) when (starting.IsCancellationRequested)
        {
            Console.WriteLine("Stopped before the functions started.");
            return 130;
        }
        catch (Exception ex) when (ex is DevHostStartupException or FunctionHostingException)
        {
            await Console.Error.WriteLineAsync($"Cannot start the dev host: {ex.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= cancel;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (IOException ex) when (ex.InnerException is AddressInUseException)
            {
                await Console.Error.WriteLineAsync(PortInUse(options.Port));
                return 1;
            }

            var console = new StartupConsole(Console.Out);
            var seeded = options.SeedDemo && await SeedDemoAsync(app, console, app.Lifetime.ApplicationStopping);
            WriteReady(app, console, seeded);
            await app.WaitForShutdownAsync();
        }

        Console.WriteLine("Stopped: the functions and the emulators are shut down.");
        return 0;
    }

    /// <summary>Parses command-line options and builds the dev host; see <see cref="BuildAsync(DevHostOptions, TextWriter?, CancellationToken)"/>.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        BuildAsync(DevHostOptions.Parse(args), output, cancellationToken);

    /// <summary>
    /// Checks every function can be hosted, starts the emulators and builds the web application (not yet
    /// started). Disposing the application stops the emulators.
    /// </summary>
    /// <exception cref="FunctionHostingException">A function needs something the dev host cannot supply.</exception>
    /// <exception cref="DevHostStartupException">Settings, Node.js or an emulator are missing or failed.</exception>
    public static async Task<WebApplication> BuildAsync(DevHostOptions options, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        var console = new StartupConsole(output ?? TextWriter.Null);
        var root = RepositoryRoot.Locate(options.RepositoryRoot);
        var file = LocalSettings.Load(root);
        console.Line(file.IsSample
            ? $"Settings: {LocalSettings.SampleFileName} (copy it to {LocalSettings.FileName} to change values)"
            : $"Settings: {LocalSettings.FileName}");
        var environment = SettingNames.FromEnvironment();
        var empty = new Dictionary<string, string?>();

        // Emulators only provide connection settings, so which functions run, and when, is decided from the
        // settings file and the environment, before anything starts.
        var settings = new ConfigurationBuilder().AddDevHostSettings(file.Values, empty, environment).Build();
        var table = FunctionRouteTable.Load(options.MetadataPath, settings);
        var invokers = CreateInvokers(table);

        var emulatorContext = new EmulatorContext(
            root, options, settings, new ConfigurationBuilder().AddDevHostSettings(empty, empty, environment).Build(), console);
        var emulators = await Emulators.LocalEmulators.StartAsync(emulatorContext, Emulators.LocalEmulators.Default(), cancellationToken);
        try
        {
            var hostProvided = emulators.Settings.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.OrdinalIgnoreCase);
            hostProvided.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", Environments.Development);
            var app = await BuildAppAsync(options, file, hostProvided, environment, table, invokers, emulators);
            Describe(table, console);
            return app;
        }
        catch
        {
            await emulators.DisposeAsync();
            throw;
        }
    }

    private static async Task<WebApplication> BuildAppAsync(
        DevHostOptions options,
        LocalSettings file,
        IReadOnlyDictionary<string, string?> hostProvided,
        IReadOnlyDictionary<string, string?> environment,
        FunctionRouteTable table,
        IReadOnlyList<FunctionInvoker> invokers,
        Emulators.LocalEmulators emulators)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Development,
        });
        builder.Configuration.AddDevHostSettings(file.Values, hostProvided, environment);

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.Logging.AddProvider(new InvocationLog());

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // localhost cannot take a dynamic port, so port 0 (tests) listens on 127.0.0.1.
            if (options.Port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                kestrel.ListenLocalhost(options.Port);
            }
        });

        // The adjustable development clock, registered first so it wins over SystemClock (AddPayConnect uses TryAdd).
        var clock = new DevClock();
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton<IClock>(clock);
        AddFunctionServices(builder.Services, builder.Configuration);

        // IActionResult execution (ObjectResult and its JSON formatter), as the ASP.NET Core integration has it.
        builder.Services.AddMvcCore();
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(table);
        builder.Services.AddSingleton(_ => emulators);
        builder.Services.AddSingleton<TimerGates>();
        builder.Services.AddSingleton(services => ActivatorUtilities.CreateInstance<TimerRunner>(services, invokers.AsEnumerable()));
        foreach (var invoker in invokers.Where(i => i.Function is TimerFunctionSchedule { IsDisabled: false }))
        {
            builder.Services.AddSingleton<IHostedService>(services => ActivatorUtilities.CreateInstance<TimerFunctionService>(services, invoker, TimeProvider.System));
        }

        var app = builder.Build();

        // Resolved once so that disposing the application disposes (stops) the emulators.
        app.Services.GetRequiredService<Emulators.LocalEmulators>();

        // The settings checks the worker runs when it starts in Azure, run here before anything is served.
        if (InvalidSettings(app.Services) is { } invalid)
        {
            await app.DisposeAsync();
            throw new DevHostStartupException(invalid);
        }

        var unresolvable = invokers.Select(i => i.FindMissingServices(app.Services)).OfType<string>().ToList();
        if (unresolvable.Count > 0)
        {
            await app.DisposeAsync();
            throw new FunctionHostingException(string.Join(Environment.NewLine, unresolvable));
        }

        app.MapFunctions(invokers.Where(i => !i.Function.IsDisabled));
        app.MapDevEndpoints();
        app.MapApiReference(table);
        return app;
    }

    private static string? InvalidSettings(IServiceProvider services)
    {
        try
        {
            services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
            return null;
        }
        catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException or AggregateException or InvalidOperationException)
        {
            var problems = ex is AggregateException aggregate ? aggregate.InnerExceptions : [ex];
            return "Settings are invalid: " + string.Join(" ", problems.Select(p => (p.Message + " " + p.InnerException?.Message).Trim()));
        }
    }

    /// <summary>The worker's own service registration (functions/Program.cs), so function classes get the same services.</summary>
    private static void AddFunctionServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddPayConnectFunctions();

        // Exports only when the developer sets APPLICATIONINSIGHTS_CONNECTION_STRING (the sample leaves it empty).
        services.AddPayConnectTelemetry(configuration);
    }

    private static List<FunctionInvoker> CreateInvokers(FunctionRouteTable table)
    {
        var invokers = new List<FunctionInvoker>();
        var problems = new List<string>();
        foreach (var function in table.All)
        {
            try
            {
                invokers.Add(FunctionInvoker.Create(function));
            }
            catch (FunctionHostingException ex)
            {
                problems.Add(ex.Message);
            }
        }

        return problems.Count > 0
            ? throw new FunctionHostingException(string.Join(Environment.NewLine, problems))
            : invokers;
    }

    private static void Describe(FunctionRouteTable table, StartupConsole console)
    {
        var count = table.All.Count(f => !f.IsDisabled);
        var disabled = table.All.Count(f => f.IsDisabled);
        console.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"Hosting {count} function{(count == 1 ? "" : "s")}{(disabled > 0 ? $" ({disabled} disabled)" : "")} from {table.MetadataPath}"));
        foreach (var route in table.Http.OrderBy(r => r.Route, StringComparer.Ordinal))
        {
            console.Line($"  {route,-40} {route.Name}{(route.IsDisabled ? " (disabled)" : "")}");
        }

        var now = DateTime.UtcNow;
        foreach (var timer in table.Timers.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var next = NcrontabSchedule.Next(timer.Cron, now);
            console.Line(timer.IsDisabled
                ? $"  TIMER {timer.Name} [{timer.ResolvedSchedule}] (disabled)"
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"  TIMER {timer.Name} [{timer.ResolvedSchedule}] next {next:yyyy-MM-dd HH:mm:ss}Z{(timer.RunOnStartup ? ", and once at startup" : "")}"));
        }
    }

    private static string PortInUse(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"Port {port} is in use (another dev host?). Stop that, or pass --port N.");


    /// <summary>Runs the demo seed against the started host; a failure is reported and the host keeps serving.</summary>
    private static async Task<bool> SeedDemoAsync(WebApplication app, StartupConsole console, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl(app) + "/"), Timeout = TimeSpan.FromMinutes(2) };
        var writer = new StartupConsoleWriter(console);
        try
        {
            await new DemoSeed(http, writer).RunAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is DemoSeedException or HttpRequestException or TaskCanceledException)
        {
            console.Line($"The demo seed failed (the functions keep running): {ex.Message}");
            return false;
        }
    }

    private static string BaseUrl(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return (addresses.FirstOrDefault(a => a.Contains("localhost", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "http://localhost:7071")
            .Replace("127.0.0.1", "localhost", StringComparison.Ordinal)
            .TrimEnd('/');
    }

    private static void WriteReady(WebApplication app, StartupConsole console, bool seeded)
    {
        var baseUrl = BaseUrl(app);
        var table = app.Services.GetRequiredService<FunctionRouteTable>();
        var prefix = table.RoutePrefix.Length == 0 ? "" : "/" + table.RoutePrefix;
        console.Line($"Functions listening on {baseUrl}{prefix}/");
        if (table.Http.Any(r => !r.IsDisabled && r.Route == (prefix.TrimStart('/') + "/health").TrimStart('/')))
        {
            console.Line($"Try: curl {baseUrl}{prefix}/health");
        }

        console.Line($"API reference (dev host only): {baseUrl}{ApiReference.Path}/");

        if (seeded)
        {
            var firm = $"{baseUrl}{prefix}/firms/{DemoSeed.FirmId}";
            var mail = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Infrastructure.Email.EmailOptions>>().Value.SinkDirectory;
            console.Line("");
            console.Line("The demo firm is ready. Things to try:");
            var tries = new (string Command, string What)[]
            {
                ($"curl {firm}/payers", "Grace Harper (card approves), Daniel Okafor (stolen card), Brightwater (ACH)"),
                ($"curl '{firm}/mms/search?by=ClientName&q=harper'", "search the MMS mirror"),
                ($"curl {baseUrl}{prefix}/openapi.json", "the whole API"),
                ($"curl {baseUrl}/dev/clock", "dev only: the adjustable clock"),
                ($"curl -X POST {baseUrl}/dev/clock/advance -H 'content-type: application/json' -d '{{\"days\":3}}'", "move it forward"),
                ($"curl -X POST {baseUrl}/dev/timers/FanOut/run", "fire a timer now (FanOut, RunDrain, EmailOutbox)"),
                ($"curl {baseUrl}/dev/mail", $"Error-Failed AutoPay emails{(string.IsNullOrEmpty(mail) ? "" : $", in {mail}")}"),
                ($"bash tools/walkthrough.sh{(baseUrl == "http://localhost:7071" ? "" : $" --base-url {baseUrl}")}", "the whole flow, step by step"),
            };
            foreach (var (command, what) in tries)
            {
                console.Line($"  # {what}");
                console.Line($"  {command}");
            }
        }

        console.Line("Press Ctrl+C to stop (the emulators stop with the dev host).");
    }
}
