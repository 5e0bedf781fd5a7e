using System.Diagnostics;
using PayConnect.DevHost.Functions;
using PayConnect.DevHost.Timers;

namespace PayConnect.DevHost.Development;

/// <summary>What one on-request timer invocation did: its outcome, the summary its function logged, and its log.</summary>
public sealed record TimerRunReport(
    string Function,
    string Status,
    long DurationMs,
    IReadOnlyDictionary<string, object?>? Summary,
    string? Error,
    IReadOnlyList<string> Log);

/// <summary>Fires a timer function now (dev host only), waiting for any scheduled invocation of it to finish first.</summary>
public sealed class TimerRunner(IEnumerable<FunctionInvoker> invokers, TimerGates gates, IServiceScopeFactory scopes, ILogger<TimerRunner> logger)
{
    private readonly Dictionary<string, FunctionInvoker> _timers = invokers
        .Where(i => i.Function is TimerFunctionSchedule)
        .ToDictionary(i => i.Function.Name, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Names => _timers.Values.Select(i => i.Function.Name).Order(StringComparer.Ordinal).ToList();

    public bool TryGet(string name, out FunctionInvoker invoker) => _timers.TryGetValue(name, out invoker!);

    public async Task<TimerRunReport> RunAsync(FunctionInvoker invoker, CancellationToken cancellationToken)
    {
        var timer = (TimerFunctionSchedule)invoker.Function;
        using var entered = await gates.EnterAsync(timer.Name, cancellationToken);
        var now = DateTime.UtcNow;
        var timerInfo = NcrontabSchedule.CreateTimerInfo(timer.Cron, now, null, now);
        var stopwatch = Stopwatch.StartNew();
        await using var scope = scopes.CreateAsyncScope();
        var invocation = new Invocation(timer, scope.ServiceProvider, cancellationToken, http: null, timerInfo);
        using var capture = InvocationLog.Begin();
        string status = "Succeeded";
        string? error = null;
        try
        {
            await invoker.InvokeAsync(invocation);
            logger.LogInformation("Executed 'Functions.{Function}' on request (Succeeded, Id={InvocationId}, Duration={ElapsedMs}ms)", timer.Name, invocation.Id, stopwatch.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            status = "Failed";
            error = $"{ex.GetType().Name}: {ex.Message}";
            logger.LogError(ex, "Executed 'Functions.{Function}' on request (Failed, Id={InvocationId}, Duration={ElapsedMs}ms)", timer.Name, invocation.Id, stopwatch.ElapsedMilliseconds);
        }

        var entries = capture.Entries;

        // The function's own last line (e.g. "Fan-out sent 2 runs ...") is its summary; its properties are the numbers.
        var functionType = invoker.Method.DeclaringType?.FullName;
        var summary = entries.LastOrDefault(e => e.Category == functionType)?.Properties;
        return new TimerRunReport(timer.Name, status, stopwatch.ElapsedMilliseconds, summary, error, entries.Select(e => $"{e.Level}: {e.Message}").ToList());
    }
}
