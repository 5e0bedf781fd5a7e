namespace PayConnect.LocalEmulators;

public static class RepoPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds PayConnect.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PayConnect.sln")))
            {
                return dir.FullName;
            }
        }

        // Builds redirected with PAYCONNECT_ARTIFACTS live outside the tree; the working directory is in it.
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PayConnect.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (PayConnect.sln).");
    }
}
