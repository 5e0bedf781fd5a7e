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
    StartupConsole Console);
