using System.Reflection;

namespace PayConnect.Infra.Tests;

/// <summary>Paths the build wrote into this assembly: the repository root and the restored Bicep CLI.</summary>
internal static class TestEnvironment
{
    public static string RepositoryRoot { get; } = Metadata("PayConnect.RepositoryRoot");

    public static string InfraDirectory { get; } = Path.Combine(RepositoryRoot, "infra");

    public static string BicepCli { get; } = Metadata("PayConnect.BicepCli");

    private static string Metadata(string key) =>
        typeof(TestEnvironment).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing; see PayConnect.Infra.Tests.csproj.");
}
