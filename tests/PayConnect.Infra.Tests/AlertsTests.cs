using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PayConnect.Infra.Tests;

/// <summary>
/// What pages on-call: the template deploys an action group that emails the on-call address and at least four alert
/// rules, each sent to that group and naming a section of docs/runbook.md that exists and says what the alert means,
/// how to look and how to fix it; the runbook also covers the dead-letter tool.
/// </summary>
[Collection(BicepCompilationCollection.Name)]
public sealed partial class AlertsTests(BicepCompilation compilation)
{
    private static readonly string[] AlertTypes = ["Microsoft.Insights/metricAlerts", "Microsoft.Insights/scheduledQueryRules"];

    private JsonObject Module => compilation.Templates["infra/modules/alerts.bicep"];

    [Fact]
    public void Template_DeploysAnActionGroup_ThatEmailsTheOnCallAddressParameter()
    {
        var main = compilation.MainTemplate;
        var onCall = main["parameters"]?["onCallEmail"]?.AsObject();
        Assert.NotNull(onCall);
        Assert.Null(onCall["defaultValue"]);
        Assert.Contains(ArmTemplate.Resources(main, "Microsoft.Resources/deployments"),
            d => d["properties"]?["parameters"]?["onCallEmail"]?["value"]?.ToString() == "[parameters('onCallEmail')]");

        var group = ArmTemplate.Single(Module, "Microsoft.Insights/actionGroups");
        Assert.True(group["properties"]?["enabled"]?.GetValue<bool>());
        var receiver = Assert.Single(group["properties"]?["emailReceivers"]?.AsArray() ?? []);
        Assert.Equal("[parameters('onCallEmail')]", receiver!["emailAddress"]?.ToString());
    }

    [Fact]
    public void ParameterFiles_NameTheOnCallAddress()
    {
        foreach (var file in new[] { "main.dev.bicepparam", "main.prod.bicepparam" })
        {
            var text = File.ReadAllText(Path.Combine(TestEnvironment.InfraDirectory, file));
            Assert.Matches(@"param onCallEmail = readEnvironmentVariable\('PAYCONNECT_(DEV|PROD)_ONCALL_EMAIL'\)", text);
        }
    }

    [Fact]
    public void Template_HasAtLeastFourAlertRules_EachSentToTheOnCallGroup()
    {
        var rules = Rules().ToList();

        Assert.True(rules.Count >= 4, $"Only {rules.Count} alert rules.");
        foreach (var (name, resource, _) in rules)
        {
            var actions = resource["properties"]?["actions"];
            var groups = actions is JsonArray list
                ? list.Select(a => a?["actionGroupId"]?.ToString())
                : (actions?["actionGroups"]?.AsArray() ?? []).Select(a => a?.ToString());
            Assert.True(groups.Any(g => g is not null && g.Contains("Microsoft.Insights/actionGroups", StringComparison.Ordinal)), $"{name} alerts nobody.");
            Assert.True(resource["properties"]?["enabled"]?.GetValue<bool>(), $"{name} is disabled.");
        }

        // The alerts the runbook promises: dead letters, failed runs, function failures, due lag, outbox backlog.
        Assert.Superset(
            new HashSet<string> { "dead-lettered-runs", "failed-runs", "function-failures", "due-lag", "outbox-backlog" },
            rules.Select(r => r.Section).ToHashSet());
    }

    [Fact]
    public void EveryAlert_NamesARunbookSection_ThatSaysWhatItMeansHowToLookAndHowToFix()
    {
        var sections = RunbookSections();

        foreach (var (name, _, section) in Rules())
        {
            Assert.True(sections.TryGetValue(section, out var body), $"{name} names docs/runbook.md#{section}, which has no such section.");
            foreach (var part in new[] { "### What it means", "### How to look", "### How to fix" })
            {
                Assert.True(body.Contains(part, StringComparison.Ordinal), $"docs/runbook.md#{section} has no '{part}'.");
            }

            Assert.True(body.Contains("```kusto", StringComparison.Ordinal) || body.Contains("```bash", StringComparison.Ordinal), $"docs/runbook.md#{section} shows no query or command.");
        }
    }

    [Fact]
    public void Runbook_CoversTheDeadLetterTool_AndEveryCommandItHas()
    {
        var tool = Assert.Contains("dead-letter-tool", RunbookSections());

        foreach (var command in new[] { "list", "show", "resubmit", "purge" })
        {
            Assert.Contains($"-- {command}", tool, StringComparison.Ordinal);
        }

        Assert.Contains("--namespace", tool, StringComparison.Ordinal);
        Assert.Contains("--connection-string", tool, StringComparison.Ordinal);
    }

    /// <summary>Every alert rule of the module with the runbook section it names (a rule loop counts once per element).</summary>
    private IEnumerable<(string Name, JsonObject Resource, string Section)> Rules()
    {
        var runbook = Module["variables"]?["runbook"]?.ToString();
        Assert.Equal("docs/runbook.md", runbook);
        foreach (var resource in AlertTypes.SelectMany(t => ArmTemplate.Resources(Module, t)))
        {
            var description = resource["properties"]?["description"]?.ToString() ?? string.Empty;
            if (resource["copy"]?["count"]?.ToString() is { } count)
            {
                // "[length(variables('logAlerts'))]": one rule per element, its section in the element.
                var loop = VariableName().Match(count).Groups[1].Value;
                Assert.Contains($"variables('{loop}')[copyIndex()].section", description, StringComparison.Ordinal);
                foreach (var element in Module["variables"]?[loop]?.AsArray() ?? [])
                {
                    yield return (element!["name"]!.ToString(), resource, element["section"]!.ToString());
                }
            }
            else
            {
                var anchor = Anchor().Match(description);
                Assert.True(anchor.Success, $"{resource["name"]} names no runbook section: {description}");
                yield return (resource["name"]!.ToString(), resource, anchor.Groups[1].Value);
            }
        }
    }

    /// <summary>docs/runbook.md's level-2 sections by their GitHub anchor.</summary>
    private static Dictionary<string, string> RunbookSections()
    {
        var text = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "docs", "runbook.md"));
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in Regex.Split(text, @"^## ", RegexOptions.Multiline).Skip(1))
        {
            var heading = part.Split('\n', 2)[0].Trim();
            var anchor = Regex.Replace(heading.ToLowerInvariant(), @"[^a-z0-9 \-]", string.Empty).Replace(' ', '-');
            sections[anchor] = part;
        }

        return sections;
    }

    [GeneratedRegex(@"variables\('([^']+)'\)")]
    private static partial Regex VariableName();

    [GeneratedRegex(@"#([a-z0-9\-]+)")]
    private static partial Regex Anchor();
}
