using System.Text.Json.Nodes;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests;

/// <summary>The bindings the build declares to the Functions host, pinned so one can't silently change.</summary>
public sealed class FunctionMetadataTests
{
    [Fact]
    public void FunctionsMetadata_MatchesTheApprovedBindings()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var actual = metadata
            .Select(f =>
            {
                var trigger = f!["bindings"]!.AsArray().First(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!;
                var type = trigger["type"]!.GetValue<string>();
                var detail = type == "httpTrigger"
                    ? $"{string.Join(",", trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()))} {trigger["route"]} auth={trigger["authLevel"]}"
                    : $"schedule={trigger["schedule"]}";
                return $"{f["name"]} | {type} {detail} | {f["entryPoint"]}";
            })
            .Order(StringComparer.Ordinal)
            .ToList();
        var approvedPath = Path.Combine(RepoPaths.Root, "tests", "PayConnect.Integration.Tests", "functions.metadata.approved.txt");
        var approved = File.ReadAllLines(approvedPath).Where(l => l.Length > 0).ToList();

        Assert.Equal(approved, actual);
    }
}
