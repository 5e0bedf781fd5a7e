using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using PayConnect.DevHost.Functions;
using PayConnect.Functions.Health;

namespace PayConnect.DevHost.Tests;

public sealed class RouteTableTests
{
    private static readonly Assembly FunctionsAssembly = typeof(HealthFunction).Assembly;

    [Fact]
    public void Load_FunctionsProjectMetadata_HasExactlyEveryHttpFunctionWithItsMethodsAndApiPrefixedRoute()
    {
        var table = FunctionRouteTable.Load(TestFiles.FunctionsMetadata, TestFiles.SampleSettings());

        // From the attributes on the function classes: what the Worker SDK indexes and Azure serves.
        var declared = FunctionMethods()
            .Select(f => (f.Name, Trigger: f.Method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).SingleOrDefault(a => a is not null)))
            .Where(f => f.Trigger is not null)
            .Select(f => Describe(f.Name, f.Trigger!.Methods ?? [], "api/" + (f.Trigger.Route ?? f.Name)))
            .Order(StringComparer.Ordinal)
            .ToList();

        // From functions.metadata itself, read independently of the dev host.
        var listed = Metadata()
            .Select(f => (Name: (string)f["name"]!, Trigger: f["bindings"]!.AsArray().Single(b => (string?)b!["type"] == "httpTrigger" || (string?)b!["type"] == "timerTrigger")!))
            .Where(f => (string?)f.Trigger["type"] == "httpTrigger")
            .Select(f => Describe(f.Name, (f.Trigger["methods"]?.AsArray() ?? []).Select(m => (string)m!).ToArray(), "api/" + ((string?)f.Trigger["route"] ?? f.Name)))
            .Order(StringComparer.Ordinal)
            .ToList();

        var hosted = table.Http.Select(r => Describe(r.Name, r.Methods.ToArray(), r.Route)).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("Health GET api/health", hosted);
        Assert.Equal(declared, hosted);
        Assert.Equal(listed, hosted);
        Assert.Equal("api", table.RoutePrefix);
    }

    [Fact]
    public void Load_FunctionsProjectMetadata_HasExactlyEveryTimerFunctionWithItsScheduleResolvedFromTheSampleSettings()
    {
        var table = FunctionRouteTable.Load(TestFiles.FunctionsMetadata, TestFiles.SampleSettings());

        var declared = FunctionMethods()
            .Select(f => (f.Name, Trigger: f.Method.GetParameters().Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()).SingleOrDefault(a => a is not null)))
            .Where(f => f.Trigger is not null)
            .Select(f => $"{f.Name} {f.Trigger!.Schedule} => {ResolveFromSample(f.Trigger.Schedule)}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var hosted = table.Timers.Select(t => $"{t.Name} {t.Schedule} => {t.ResolvedSchedule}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(declared, hosted);
        Assert.All(table.Timers, t => Assert.NotNull(t.Cron.GetNextOccurrence(DateTime.UtcNow)));
    }

    [Fact]
    public void Load_FunctionsProjectMetadata_HostsEveryDeclaredFunctionAndNothingElse()
    {
        var table = FunctionRouteTable.Load(TestFiles.FunctionsMetadata, TestFiles.SampleSettings());

        var declared = FunctionMethods().Select(f => f.Name).Order(StringComparer.Ordinal);
        var hosted = table.All.Select(f => f.Name).Order(StringComparer.Ordinal);

        Assert.Equal(declared, hosted);
        Assert.All(table.All, f => Assert.False(f.IsDisabled));
        Assert.All(table.All, f => FunctionInvoker.Create(f));
    }

    [Fact]
    public void Load_FixtureMetadata_KeepsConstraintsOptionalSegmentsAndAnyMethod()
    {
        var table = FunctionRouteTable.Load(TestFiles.Fixture("mixed.functions.metadata"), TestFiles.SampleSettings());

        var item = Assert.Single(table.Http, r => r.Name == "GetItem");
        Assert.Equal(["GET", "DELETE"], item.Methods);
        Assert.Equal("api/items/{id:int}/{tag?}", item.Route);
        Assert.Equal("GET,DELETE /api/items/{id:int}/{tag?}", item.ToString());

        var any = Assert.Single(table.Http, r => r.Name == "AnyMethod");
        Assert.Empty(any.Methods);
        Assert.Equal("api/AnyMethod", any.Route);
    }

    [Fact]
    public void Load_FixtureMetadata_ResolvesSettingSchedulesAndKeepsLiteralOnes()
    {
        var table = FunctionRouteTable.Load(TestFiles.Fixture("mixed.functions.metadata"), TestFiles.SampleSettings());

        var fanOut = Assert.Single(table.Timers, t => t.Name == "FanOut");
        Assert.Equal("%FanOutSchedule%", fanOut.Schedule);
        Assert.Equal(TestFiles.Sample.Values["FanOutSchedule"], fanOut.ResolvedSchedule);
        Assert.False(fanOut.RunOnStartup);

        var nightly = Assert.Single(table.Timers, t => t.Name == "Nightly");
        Assert.Equal("0 0 3 * * *", nightly.ResolvedSchedule);
        Assert.True(nightly.RunOnStartup);
        Assert.Equal(new DateTime(2026, 3, 3, 3, 0, 0, DateTimeKind.Utc), nightly.Cron.GetNextOccurrence(new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc)));
    }

    [Theory]
    [InlineData("AzureWebJobs.FanOut.Disabled", "true")]
    [InlineData("AzureWebJobs__FanOut__Disabled", "True")]
    [InlineData("AzureWebJobs.FanOut.Disabled", "1")]
    public void Load_AzureWebJobsDisabledSetting_MarksThatFunctionDisabled(string name, string value)
    {
        var settings = TestFiles.SampleSettings(new Dictionary<string, string?> { [name] = value });

        var table = FunctionRouteTable.Load(TestFiles.Fixture("mixed.functions.metadata"), settings);

        Assert.True(Assert.Single(table.Timers, t => t.Name == "FanOut").IsDisabled);
        Assert.All(table.All.Where(f => f.Name != "FanOut"), f => Assert.False(f.IsDisabled));
    }

    [Fact]
    public void Load_ScheduleNamingAMissingSetting_FailsNamingTheFunctionAndTheSetting()
    {
        var settings = TestFiles.SampleSettings(new Dictionary<string, string?> { ["FanOutSchedule"] = "" });

        var error = Assert.Throws<FunctionHostingException>(() => FunctionRouteTable.Load(TestFiles.Fixture("mixed.functions.metadata"), settings));

        Assert.Contains("'FanOut'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'FanOutSchedule'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TriggerTheDevHostCannotRun_FailsNamingTheFunctionAndBinding()
    {
        var error = Assert.Throws<FunctionHostingException>(() => FunctionRouteTable.Load(TestFiles.Fixture("unsupported-trigger.functions.metadata")));

        Assert.Contains("'OnRun'", error.Message, StringComparison.Ordinal);
        Assert.Contains("serviceBusTrigger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TwoFunctionsOnTheSameRouteAndMethod_FailsNamingBoth()
    {
        var error = Assert.Throws<FunctionHostingException>(() => FunctionRouteTable.Load(TestFiles.Fixture("duplicate-routes.functions.metadata")));

        Assert.Contains("'First'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Second'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HostJsonWithEmptyRoutePrefix_MapsRoutesWithoutPrefix()
    {
        var folder = Directory.CreateTempSubdirectory("devhost-routes-");
        try
        {
            File.Copy(TestFiles.Fixture("mixed.functions.metadata"), Path.Combine(folder.FullName, "functions.metadata"));
            File.WriteAllText(Path.Combine(folder.FullName, "host.json"), """{ "version": "2.0", "extensions": { "http": { "routePrefix": "" } } }""");

            var table = FunctionRouteTable.Load(Path.Combine(folder.FullName, "functions.metadata"), TestFiles.SampleSettings());

            Assert.Equal("items/{id:int}/{tag?}", Assert.Single(table.Http, r => r.Name == "GetItem").Route);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_MissingMetadata_FailsSayingTheBuildWritesIt()
    {
        var error = Assert.Throws<FunctionHostingException>(() => FunctionRouteTable.Load(Path.Combine(AppContext.BaseDirectory, "nowhere", "functions.metadata")));

        Assert.Contains("Worker SDK", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<(string Name, MethodInfo Method)> FunctionMethods() =>
        FunctionsAssembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Attribute: m.GetCustomAttribute<FunctionAttribute>(), Method: m))
            .Where(f => f.Attribute is not null)
            .Select(f => (f.Attribute!.Name, f.Method));

    private static IEnumerable<JsonNode> Metadata() =>
        JsonNode.Parse(File.ReadAllText(TestFiles.FunctionsMetadata))!.AsArray().Select(n => n!);

    private static string Describe(string name, string[] methods, string route) =>
        $"{name} {string.Join(",", methods.Select(m => m.ToUpperInvariant()))} {route}";

    private static string ResolveFromSample(string schedule) =>
        System.Text.RegularExpressions.Regex.Replace(schedule, "%([^%]+)%", m => TestFiles.Sample.Values[m.Groups[1].Value]!);
}
