using System.Reflection;

namespace PayConnect.DevHost;

/// <summary>Finds the repository root: where local.settings.json, package.json and node_modules live.</summary>
public static class RepositoryRoot
{
    private const string Marker = "PayConnect.sln";

    /// <summary>
    /// The explicit root when given; else the nearest folder at or above the current directory that holds
    /// PayConnect.sln; else the root the dev host was built from (builds can live outside the tree).
    /// </summary>
    public static string Locate(string? explicitRoot = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitRoot))
        {
            var full = Path.GetFullPath(explicitRoot);
            return File.Exists(Path.Combine(full, Marker))
                ? full
                : throw new DevHostStartupException($"{full} is not the repository root (it has no {Marker}).");
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Marker)))
            {
                return dir.FullName;
            }
        }

        var built = typeof(RepositoryRoot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "PayConnect.RepositoryRoot")?.Value;
        if (built is not null && File.Exists(Path.Combine(built, Marker)))
        {
            return built;
        }

        throw new DevHostStartupException($"Cannot find the repository root ({Marker}); run from inside the repository or pass --root.");
    }
}

/// <summary>The dev host cannot start; the message says why and what to do.</summary>
public sealed class DevHostStartupException(string message, Exception? inner = null) : Exception(message, inner);
