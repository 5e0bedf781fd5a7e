using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cronos;
using Microsoft.AspNetCore.Routing.Patterns;
using PayConnect.DevHost.Timers;

namespace PayConnect.DevHost.Functions;

/// <summary>One binding of a function, as functions.metadata lists it.</summary>
public sealed record FunctionBindingInfo(string Name, string Type, string Direction);

/// <summary>A function the build declared: where its method is and whether settings disable it.</summary>
public abstract record HostedFunction(
    string Name,
    string EntryPoint,
    string ScriptFile,
    bool IsDisabled,
    IReadOnlyList<FunctionBindingInfo> Bindings);

/// <summary>An HTTP-triggered function with the methods and route Azure would serve it on.</summary>
/// <param name="Methods">Upper-case HTTP methods; empty means any method.</param>
/// <param name="Route">The route template with the host.json route prefix and no leading slash, e.g. <c>api/health</c>.</param>
public sealed record HttpFunctionRoute(
    string Name,
    string EntryPoint,
    string ScriptFile,
    bool IsDisabled,
    IReadOnlyList<FunctionBindingInfo> Bindings,
    IReadOnlyList<string> Methods,
    string Route,
    string AuthLevel)
    : HostedFunction(Name, EntryPoint, ScriptFile, IsDisabled, Bindings)
{
    /// <summary>"GET /api/health", or "ANY /api/x" when the function takes every method.</summary>
    public override string ToString() => $"{(Methods.Count == 0 ? "ANY" : string.Join(",", Methods))} /{Route}";
}

/// <summary>A timer-triggered function with its schedule resolved from settings.</summary>
/// <param name="Schedule">The schedule as functions.metadata has it: <c>%FanOutSchedule%</c> or a literal NCRONTAB.</param>
/// <param name="ResolvedSchedule">The six-field NCRONTAB after <c>%Setting%</c> substitution.</param>
public sealed record TimerFunctionSchedule(
    string Name,
    string EntryPoint,
    string ScriptFile,
    bool IsDisabled,
    IReadOnlyList<FunctionBindingInfo> Bindings,
    string Schedule,
    string ResolvedSchedule,
    bool RunOnStartup,
    CronExpression Cron)
    : HostedFunction(Name, EntryPoint, ScriptFile, IsDisabled, Bindings)
{
    public override string ToString() => $"{Name} [{ResolvedSchedule}]";
}

/// <summary>
/// What the dev host serves, read from the functions.metadata that the Functions Worker SDK writes at build
/// time: the same file Azure indexes, so the dev host cannot drift from what Azure would host.
/// </summary>
public sealed partial class FunctionRouteTable
{
    public const string DefaultRoutePrefix = "api";

    private static readonly HashSet<string> SupportedBindingTypes = new(StringComparer.OrdinalIgnoreCase) { "httpTrigger", "http", "timerTrigger" };

    private FunctionRouteTable(string metadataPath, string routePrefix, IReadOnlyList<HttpFunctionRoute> http, IReadOnlyList<TimerFunctionSchedule> timers)
    {
        MetadataPath = metadataPath;
        RoutePrefix = routePrefix;
        Http = http;
        Timers = timers;
    }

    public string MetadataPath { get; }

    /// <summary>extensions.http.routePrefix of host.json ("api" when unset).</summary>
    public string RoutePrefix { get; }

    public IReadOnlyList<HttpFunctionRoute> Http { get; }

    public IReadOnlyList<TimerFunctionSchedule> Timers { get; }

    public IEnumerable<HostedFunction> All => Http.Cast<HostedFunction>().Concat(Timers);

    /// <summary>
    /// Reads functions.metadata, and host.json beside it for the route prefix unless one is given. Timer
    /// schedules' <c>%Setting%</c> names and <c>AzureWebJobs.&lt;Function&gt;.Disabled</c> flags are read from
    /// <paramref name="settings"/>.
    /// </summary>
    /// <exception cref="FunctionHostingException">A function cannot be hosted; the message lists every problem.</exception>
    public static FunctionRouteTable Load(string metadataPath, IConfiguration? settings = null, string? routePrefix = null)
    {
        settings ??= new ConfigurationBuilder().Build();
        if (!File.Exists(metadataPath))
        {
            throw new FunctionHostingException(
                $"{metadataPath} does not exist. The Functions Worker SDK writes it when functions/PayConnect.Functions.csproj builds.");
        }

        routePrefix ??= ReadRoutePrefix(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(metadataPath))!, "host.json"));
        routePrefix = routePrefix.Trim('/');

        JsonArray entries;
        try
        {
            entries = JsonNode.Parse(File.ReadAllText(metadataPath)) as JsonArray
                ?? throw new FunctionHostingException($"{metadataPath} is not a JSON array of functions.");
        }
        catch (JsonException ex)
        {
            throw new FunctionHostingException($"{metadataPath} is not valid JSON: {ex.Message}", ex);
        }

        var http = new List<HttpFunctionRoute>();
        var timers = new List<TimerFunctionSchedule>();
        var problems = new List<string>();
        foreach (var entry in entries.OfType<JsonObject>())
        {
            var name = (string?)entry["name"] ?? "(unnamed)";
            var entryPoint = (string?)entry["entryPoint"] ?? "";
            var scriptFile = (string?)entry["scriptFile"] ?? "";
            var bindingNodes = (entry["bindings"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var bindings = bindingNodes
                .Select(b => new FunctionBindingInfo((string?)b["name"] ?? "", (string?)b["type"] ?? "", (string?)b["direction"] ?? ""))
                .ToList();

            var unsupported = bindings.Where(b => !SupportedBindingTypes.Contains(b.Type)).Select(b => $"'{b.Type}' ({b.Name})").ToList();
            if (unsupported.Count > 0)
            {
                problems.Add($"Function '{name}' uses {string.Join(", ", unsupported)}; the dev host supports HTTP and timer triggers and the HTTP output only.");
                continue;
            }

            var triggers = bindingNodes.Where(b => ((string?)b["type"] ?? "").EndsWith("Trigger", StringComparison.OrdinalIgnoreCase)).ToList();
            if (triggers.Count != 1)
            {
                problems.Add($"Function '{name}' has {triggers.Count} triggers; a function has exactly one.");
                continue;
            }

            var trigger = triggers[0];
            var disabled = IsDisabled(settings, name);
            if (string.Equals((string?)trigger["type"], "httpTrigger", StringComparison.OrdinalIgnoreCase))
            {
                var methods = (trigger["methods"] as JsonArray ?? [])
                    .Select(m => ((string?)m ?? "").ToUpperInvariant())
                    .Where(m => m.Length > 0)
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                var route = ((string?)trigger["route"] is { Length: > 0 } r ? r : name).Trim('/');
                var full = routePrefix.Length == 0 ? route : $"{routePrefix}/{route}";
                try
                {
                    RoutePatternFactory.Parse(full);
                }
                catch (RoutePatternException ex)
                {
                    problems.Add($"Function '{name}' has route '{route}', which is not a valid route template: {ex.Message}");
                    continue;
                }

                http.Add(new HttpFunctionRoute(name, entryPoint, scriptFile, disabled, bindings, methods, full, (string?)trigger["authLevel"] ?? "Function"));
            }
            else
            {
                var schedule = (string?)trigger["schedule"] ?? "";
                try
                {
                    var resolved = ResolveSettingNames(schedule, settings);
                    var cron = NcrontabSchedule.Parse(resolved);
                    var runOnStartup = trigger["runOnStartup"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
                    timers.Add(new TimerFunctionSchedule(name, entryPoint, scriptFile, disabled, bindings, schedule, resolved, runOnStartup, cron));
                }
                catch (FormatException ex)
                {
                    problems.Add($"Timer function '{name}': {ex.Message}");
                }
            }
        }

        foreach (var clash in http.Where(h => !h.IsDisabled).GroupBy(h => RouteShape(h.Route)).Where(g => g.Count() > 1))
        {
            var overlapping = clash.ToList();
            for (var i = 0; i < overlapping.Count; i++)
            {
                for (var j = i + 1; j < overlapping.Count; j++)
                {
                    var (a, b) = (overlapping[i], overlapping[j]);
                    if (a.Methods.Count == 0 || b.Methods.Count == 0 || a.Methods.Intersect(b.Methods).Any())
                    {
                        problems.Add($"Functions '{a.Name}' ({a}) and '{b.Name}' ({b}) answer the same requests.");
                    }
                }
            }
        }

        return problems.Count > 0
            ? throw new FunctionHostingException($"{metadataPath}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems))
            : new FunctionRouteTable(metadataPath, routePrefix, http, timers);
    }

    /// <summary>Replaces each <c>%Name%</c> with the setting of that name, as the Functions host does.</summary>
    /// <exception cref="FormatException">A named setting is missing or empty.</exception>
    public static string ResolveSettingNames(string value, IConfiguration settings) =>
        SettingReference().Replace(value, match =>
        {
            var name = match.Groups[1].Value;
            return settings[name] is { Length: > 0 } resolved
                ? resolved
                : throw new FormatException($"'{value}' names the setting '{name}', which is not set.");
        });

    /// <summary>Azure's switch for turning one function off: <c>AzureWebJobs.&lt;Name&gt;.Disabled</c> set to true.</summary>
    public static bool IsDisabled(IConfiguration settings, string functionName)
    {
        var value = settings[$"AzureWebJobs.{functionName}.Disabled"] ?? settings[$"AzureWebJobs:{functionName}:Disabled"];
        return value is not null && (value == "1" || (bool.TryParse(value, out var disabled) && disabled));
    }

    private static string ReadRoutePrefix(string hostJsonPath)
    {
        if (!File.Exists(hostJsonPath))
        {
            return DefaultRoutePrefix;
        }

        var host = JsonNode.Parse(
            File.ReadAllText(hostJsonPath),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return host?["extensions"]?["http"]?["routePrefix"] is JsonValue prefix && prefix.TryGetValue<string>(out var value)
            ? value
            : DefaultRoutePrefix;
    }

    // Two templates that differ only in parameter names match the same requests.
    private static string RouteShape(string route) => RouteParameter().Replace(route.ToUpperInvariant(), "{}");

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingReference();

    [GeneratedRegex(@"\{[^:}?]+")]
    private static partial Regex RouteParameter();
}

/// <summary>A function cannot be hosted by the dev host; the message names the function and the reason.</summary>
public sealed class FunctionHostingException(string message, Exception? inner = null) : Exception(message, inner);
