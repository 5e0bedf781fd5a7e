namespace PayConnect.LocalEmulators;

public static class RepoPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds PayConnect.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        // The test binaries normally live inside the clone; a redirected build (PAYCONNECT_ARTIFACTS) names it instead.
        var built = typeof(RepoPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        foreach (var start in new[] { AppContext.BaseDirectory, built, Directory.GetCurrentDirectory() })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PayConnect.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (PayConnect.sln).");
    }
}
