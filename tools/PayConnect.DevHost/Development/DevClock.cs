using NodaTime;

namespace PayConnect.DevHost.Development;

/// <summary>
/// The dev host's clock: system time plus an offset that only ever grows, so a developer can move "now" to the next
/// run date and watch the timers do their work. Registered in the dev host alone; Azure keeps SystemClock.
/// </summary>
public sealed class DevClock(IClock system) : IClock
{
    private readonly Lock _gate = new();
    private Duration _offset = Duration.Zero;

    public DevClock()
        : this(SystemClock.Instance)
    {
    }

    public Duration Offset
    {
        get
        {
            lock (_gate)
            {
                return _offset;
            }
        }
    }

    public Instant GetCurrentInstant()
    {
        lock (_gate)
        {
            return system.GetCurrentInstant() + _offset;
        }
    }

    /// <summary>Moves "now" forward to <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is before now: time never goes back.</exception>
    public Instant AdvanceTo(Instant target)
    {
        lock (_gate)
        {
            var now = system.GetCurrentInstant() + _offset;
            if (target < now)
            {
                throw new ArgumentOutOfRangeException(nameof(target), $"{target} is before the current time {now}; the clock only moves forward.");
            }

            _offset += target - now;
            return target;
        }
    }

    /// <summary>Moves "now" forward by <paramref name="by"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="by"/> is negative.</exception>
    public Instant AdvanceBy(Duration by)
    {
        if (by < Duration.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "The clock only moves forward.");
        }

        lock (_gate)
        {
            _offset += by;
            return system.GetCurrentInstant() + _offset;
        }
    }
}
