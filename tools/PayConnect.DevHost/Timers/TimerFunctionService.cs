using System.Diagnostics;
using PayConnect.DevHost.Development;
using PayConnect.DevHost.Functions;

namespace PayConnect.DevHost.Timers;

/// <summary>
/// Fires one timer function on its schedule, like the Functions host: one invocation at a time (an overrunning
/// invocation makes the dev host skip the occurrences it missed), a failure logged and the schedule kept. An
/// invocation started on request (<c>POST /dev/timers/{name}/run</c>) holds the same gate.
/// </summary>
public sealed class TimerFunctionService(
    FunctionInvoker invoker,
    IServiceScopeFactory scopes,
    TimeProvider time,
    TimerGates gates,
    ILogger<TimerFunctionService> logger) : BackgroundService
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromHours(1);

    private readonly TimerFunctionSchedule _timer = (TimerFunctionSchedule)invoker.Function;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DateTime? last = null;
        if (_timer.RunOnStartup)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await InvokeAsync(now, last, stoppingToken);
            last = now;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            if (NcrontabSchedule.Next(_timer.Cron, time.GetUtcNow().UtcDateTime) is not { } scheduled)
            {
                logger.LogWarning("Timer function {Function} has no further occurrence of {Schedule}", _timer.Name, _timer.ResolvedSchedule);
                return;
            }

            // Wait in bounded steps so that a clock change or a long sleep does not stretch one wait.
            while (time.GetUtcNow().UtcDateTime < scheduled)
            {
                var remaining = scheduled - time.GetUtcNow().UtcDateTime;
                try
                {
                    await Task.Delay(remaining < LongestWait ? remaining : LongestWait, time, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }

            await InvokeAsync(scheduled, last, stoppingToken);
            last = scheduled;
        }
    }

    private async Task InvokeAsync(DateTime scheduledUtc, DateTime? lastUtc, CancellationToken stoppingToken)
    {
        using var entered = await gates.EnterAsync(_timer.Name, stoppingToken);
        var started = time.GetUtcNow().UtcDateTime;
        var timerInfo = NcrontabSchedule.CreateTimerInfo(_timer.Cron, scheduledUtc, lastUtc, started);
        var stopwatch = Stopwatch.StartNew();
        await using var scope = scopes.CreateAsyncScope();
        var invocation = new Invocation(_timer, scope.ServiceProvider, stoppingToken, http: null, timerInfo);
        try
        {
            await invoker.InvokeAsync(invocation);
            logger.LogInformation(
                "Executed 'Functions.{Function}' (Succeeded, Id={InvocationId}, Duration={ElapsedMs}ms)",
                _timer.Name, invocation.Id, stopwatch.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            logger.LogInformation("Timer function {Function} was cancelled by shutdown", _timer.Name);
        }
        catch (Exception ex)
        {
            logger.LogError(
                ex, "Executed 'Functions.{Function}' (Failed, Id={InvocationId}, Duration={ElapsedMs}ms)",
                _timer.Name, invocation.Id, stopwatch.ElapsedMilliseconds);
        }
    }
}
