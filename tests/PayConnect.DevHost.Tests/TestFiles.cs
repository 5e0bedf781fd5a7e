using Microsoft.Extensions.Configuration;
using PayConnect.DevHost.Configuration;

namespace PayConnect.DevHost.Tests;

internal static class TestFiles
{
    public static string RepositoryRoot { get; } = DevHost.RepositoryRoot.Locate();

    /// <summary>The functions project's functions.metadata, copied into this test's output by the build.</summary>
    public static string FunctionsMetadata { get; } = Path.Combine(AppContext.BaseDirectory, "functions.metadata");

    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static LocalSettings Sample { get; } = LocalSettings.Read(Path.Combine(RepositoryRoot, LocalSettings.SampleFileName), isSample: true);

    public static IConfiguration SampleSettings(IReadOnlyDictionary<string, string?>? extra = null) =>
        new ConfigurationBuilder()
            .AddDevHostSettings(Sample.Values, new Dictionary<string, string?>(), extra ?? new Dictionary<string, string?>())
            .Build();
}
