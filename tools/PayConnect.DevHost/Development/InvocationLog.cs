using System.Globalization;

namespace PayConnect.DevHost.Development;

/// <summary>One log entry written while a timer function ran on request.</summary>
public sealed record CapturedLog(string Category, string Level, string Message, IReadOnlyDictionary<string, object?> Properties);

/// <summary>
/// Collects what the code logs inside one on-request timer invocation (it flows with the async context), so
/// <c>POST /dev/timers/{name}/run</c> can answer what the function did: timer functions return nothing, but log it.
/// </summary>
public sealed class InvocationLog : ILoggerProvider
{
    private const int MaxEntries = 500;
    private static readonly AsyncLocal<List<CapturedLog>?> Current = new();

    /// <summary>Starts collecting for the current async flow; dispose the scope to stop.</summary>
    public static Capture Begin() => new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName);

    public void Dispose()
    {
    }

    public sealed class Capture : IDisposable
    {
        private readonly List<CapturedLog>? _previous = Current.Value;
        private readonly List<CapturedLog> _entries = [];

        internal Capture() => Current.Value = _entries;

        public IReadOnlyList<CapturedLog> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public void Dispose() => Current.Value = _previous;
    }

    private sealed class CapturingLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && Current.Value is not null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel) || Current.Value is not { } entries)
            {
                return;
            }

            var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                foreach (var (name, value) in values)
                {
                    if (name != "{OriginalFormat}")
                    {
                        properties[name] = value is null or string or bool or int or long or double or decimal
                            ? value
                            : Convert.ToString(value, CultureInfo.InvariantCulture);
                    }
                }
            }

            var message = formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})");
            lock (entries)
            {
                if (entries.Count < MaxEntries)
                {
                    entries.Add(new CapturedLog(category, logLevel.ToString(), message, properties));
                }
            }
        }
    }
}
