namespace PayConnect.DevHost.Emulators;

/// <summary>The emulators of one dev host run, started in order and stopped in reverse.</summary>
public sealed class LocalEmulators : IAsyncDisposable
{
    private readonly List<ILocalEmulator> _started = [];
    private readonly Dictionary<string, string> _settings = new(StringComparer.OrdinalIgnoreCase);
    private int _disposed;

    private LocalEmulators()
    {
    }

    /// <summary>The app settings the emulators provide; they override the settings file.</summary>
    public IReadOnlyDictionary<string, string> Settings => _settings;

    /// <summary>The emulators the dev host starts, in order.</summary>
    public static IReadOnlyList<ILocalEmulator> Default() =>
    [
        new AzuriteEmulator(),
        ServiceBus(),
        new MailSinkFolder(),
    ];

    /// <summary>
    /// The Service Bus emulator: whatever provides <c>ServiceBus__ConnectionString</c>. The local broker
    /// (tools/PayConnect.ServiceBusBroker) plugs in here as an <see cref="ILocalEmulator"/>; this one takes the
    /// connection string from settings as it is.
    /// </summary>
    public static ILocalEmulator ServiceBus() => new LocalBrokerEmulator();

    /// <summary>Starts each emulator in turn; when one fails, stops those already started and rethrows.</summary>
    public static async Task<LocalEmulators> StartAsync(EmulatorContext context, IEnumerable<ILocalEmulator> emulators, CancellationToken cancellationToken)
    {
        var running = new LocalEmulators();
        try
        {
            foreach (var emulator in emulators)
            {
                running._started.Add(emulator);
                foreach (var (name, value) in await emulator.StartAsync(context, cancellationToken))
                {
                    running._settings[name] = value;
                }
            }

            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].DisposeAsync();
        }
    }
}
