namespace PayConnect.DevHost.Development;

/// <summary>
/// One gate per timer function, shared by its schedule and by <c>POST /dev/timers/{name}/run</c>, so a function
/// still runs one invocation at a time however it was started.
/// </summary>
public sealed class TimerGates
{
    private readonly Dictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);

    public async Task<IDisposable> EnterAsync(string functionName, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate;
        lock (_gates)
        {
            if (!_gates.TryGetValue(functionName, out gate!))
            {
                gate = new SemaphoreSlim(1, 1);
                _gates[functionName] = gate;
            }
        }

        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
