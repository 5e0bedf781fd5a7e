namespace PayConnect.Infra.Tests;

/// <summary>docs/deploy.md is where operators look up what a setting means: it must cover all of them.</summary>
public sealed class DeployGuideTests
{
    [Fact]
    public void DeployGuide_DescribesEverySetting()
    {
        var guide = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "docs", "deploy.md"));

        var missing = SettingsCatalog.All
            .Select(s => s.Name)
            .Where(name => !guide.Contains($"| `{name}` |", StringComparison.Ordinal))
            .ToList();

        Assert.True(missing.Count == 0, "docs/deploy.md has no settings-table row for: " + string.Join(", ", missing));
    }
}
