using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PayConnect.Infra.Tests;

/// <summary>
/// Compiles every .bicep file under infra/ to ARM JSON once per test run, with the Bicep CLI that restore
/// downloaded (tools/bicep/Bicep.props).
/// </summary>
public sealed class BicepCompilation : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly string _outputDirectory =
        Path.Combine(Path.GetTempPath(), "payconnect-infra-tests-" + Guid.NewGuid().ToString("N"));

    public BicepCompilation()
    {
        Directory.CreateDirectory(_outputDirectory);
        Run(TestEnvironment.RepositoryRoot, "build", "--pattern", "infra/**/*.bicep", "--outdir", _outputDirectory);

        Templates = Directory.EnumerateFiles(TestEnvironment.InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .ToDictionary(
                source => Path.GetRelativePath(TestEnvironment.RepositoryRoot, source).Replace('\\', '/'),
                source => LoadCompiled(source));
        MainTemplate = Templates["infra/main.bicep"];
    }

    /// <summary>ARM template of infra/main.bicep, modules inlined as nested deployments.</summary>
    public JsonObject MainTemplate { get; }

    /// <summary>ARM template of each .bicep file, keyed by its path from the repository root.</summary>
    public IReadOnlyDictionary<string, JsonObject> Templates { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_outputDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test run over.
        }
    }

    private JsonObject LoadCompiled(string source)
    {
        var relative = Path.GetRelativePath(TestEnvironment.InfraDirectory, source);
        var compiled = Path.Combine(_outputDirectory, Path.ChangeExtension(relative, ".json"));
        Assert.True(File.Exists(compiled), $"Bicep produced no ARM template for {relative}.");
        return JsonNode.Parse(File.ReadAllText(compiled))!.AsObject();
    }

    private static void Run(string workingDirectory, params string[] arguments)
    {
        var cli = TestEnvironment.BicepCli;
        Assert.True(File.Exists(cli), $"The Bicep CLI is not at {cli}. Restore this test project (dotnet restore) to download it.");
        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(cli).HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(cli, File.GetUnixFileMode(cli) | UnixFileMode.UserExecute);
        }

        var start = new ProcessStartInfo(cli)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}.");
        }

        Assert.True(
            process.ExitCode == 0,
            $"bicep {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
    }
}

[CollectionDefinition(Name)]
public sealed class BicepCompilationCollection : ICollectionFixture<BicepCompilation>
{
    public const string Name = "Bicep compilation";
}
