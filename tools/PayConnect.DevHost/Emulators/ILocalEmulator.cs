using PayConnect.Infrastructure.Configuration;

namespace PayConnect.DevHost.Emulators;

/// <summary>A local stand-in for an Azure service, started before the functions and stopped after them.</summary>
public interface ILocalEmulator : IAsyncDisposable
{
    /// <summary>
    /// Starts the emulator; returns the app settings (AppSettings names) that point the functions at it.
    /// Starts nothing and returns no settings when <see cref="DevHostOptions.StartEmulators"/> is off or the
    /// environment already sets the connection setting.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> StartAsync(EmulatorContext context, CancellationToken cancellationToken);
}

/// <summary>What an emulator may consult while starting.</summary>
/// <param name="Settings">The settings file and the environment, layered.</param>
/// <param name="Environment">The environment alone: a connection string set there means "use this, start nothing".</param>
public sealed record EmulatorContext(
    string RepositoryRoot,
    DevHostOptions Options,
    IConfiguration Settings,
    IConfiguration Environment,
    StartupConsole Console)
{
    /// <summary>A settings group (<see cref="SettingsBinding.Groups"/>) from the settings file and the environment.</summary>
    public T Setting<T>()
        where T : class, new() => Read<T>(Settings, "the settings");

    /// <summary>A settings group from the environment alone.</summary>
    public T EnvironmentSetting<T>()
        where T : class, new() => Read<T>(Environment, "the environment");

    private static T Read<T>(IConfiguration configuration, string source)
        where T : class, new()
    {
        try
        {
            return SettingsBinding.Read<T>(configuration);
        }
        catch (InvalidOperationException ex)
        {
            throw new DevHostStartupException($"A setting in {source} is invalid: {ex.Message} {ex.InnerException?.Message}".TrimEnd(), ex);
        }
    }
}
