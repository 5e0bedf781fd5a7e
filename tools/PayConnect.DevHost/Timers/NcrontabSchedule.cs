using Cronos;
using Microsoft.Azure.Functions.Worker;

namespace PayConnect.DevHost.Timers;

/// <summary>The six-field NCRONTAB schedules of Azure Functions timers (seconds first), evaluated in UTC.</summary>
public static class NcrontabSchedule
{
    /// <summary>How late an invocation may start before the function is told it is past due.</summary>
    public static readonly TimeSpan PastDueAfter = TimeSpan.FromSeconds(1);

    /// <exception cref="FormatException">The expression is not a six-field NCRONTAB.</exception>
    public static CronExpression Parse(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length != 6)
        {
            throw new FormatException(
                $"'{expression}' has {fields.Length} fields; an NCRONTAB schedule has six: second minute hour day month day-of-week.");
        }

        try
        {
            return CronExpression.Parse(string.Join(' ', fields), CronFormat.IncludeSeconds);
        }
        catch (CronFormatException ex)
        {
            throw new FormatException($"'{expression}' is not a valid NCRONTAB schedule: {ex.Message}", ex);
        }
    }

    /// <summary>The first occurrence strictly after <paramref name="afterUtc"/>, or null when there is none.</summary>
    public static DateTime? Next(CronExpression schedule, DateTime afterUtc) =>
        schedule.GetNextOccurrence(DateTime.SpecifyKind(afterUtc, DateTimeKind.Utc), TimeZoneInfo.Utc);

    /// <summary>
    /// The <see cref="TimerInfo"/> of one invocation: past due when it starts later than scheduled (the machine
    /// slept, or the previous invocation overran), with the previous and the following occurrence.
    /// </summary>
    public static TimerInfo CreateTimerInfo(CronExpression schedule, DateTime scheduledUtc, DateTime? lastUtc, DateTime startedUtc) => new()
    {
        IsPastDue = startedUtc - scheduledUtc > PastDueAfter,
        ScheduleStatus = new ScheduleStatus
        {
            Last = lastUtc ?? DateTime.MinValue,
            Next = Next(schedule, startedUtc) ?? DateTime.MaxValue,
            LastUpdated = startedUtc,
        },
    };
}
