using System.Diagnostics.CodeAnalysis;
using NodaTime;
using NodaTime.Text;

namespace PayConnect.Scheduling;

/// <summary>
/// Identifies one run of one schedule: <c>firmId/scheduleId/yyyy-MM-dd</c> (run date in the firm's zone). The same run
/// always gets the same key, so it serves as the Service Bus <c>MessageId</c> and the base of the charge idempotency key.
/// </summary>
public readonly record struct RunKey
{
    private const char Separator = '/';
    private static readonly LocalDatePattern DatePattern = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");

    /// <summary>Creates a key; ids must be non-blank and free of '/', and the date an ISO date in years 1–9999.</summary>
    /// <exception cref="ArgumentException">An id is blank or contains '/', or the date is out of range.</exception>
    public RunKey(string firmId, string scheduleId, LocalDate runDate)
    {
        EnsureId(firmId, nameof(firmId));
        EnsureId(scheduleId, nameof(scheduleId));
        if (runDate.Calendar != CalendarSystem.Iso || runDate.Year < 1)
        {
            throw new ArgumentException("The run date must be an ISO date in years 1-9999.", nameof(runDate));
        }

        FirmId = firmId;
        ScheduleId = scheduleId;
        RunDate = runDate;
    }

    public string FirmId { get; }

    public string ScheduleId { get; }

    public LocalDate RunDate { get; }

    /// <summary><c>firmId/scheduleId/yyyy-MM-dd</c>, culture-invariant.</summary>
    public string Format() => FirmId + Separator + ScheduleId + Separator + DatePattern.Format(RunDate);

    public override string ToString() => Format();

    /// <summary>Reads the <see cref="Format"/> form.</summary>
    /// <exception cref="FormatException">The text is not a run key.</exception>
    public static RunKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new FormatException("Expected a run key 'firmId/scheduleId/yyyy-MM-dd'.");

    /// <summary>Reads the <see cref="Format"/> form; false for anything else.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out RunKey key)
    {
        key = default;
        var parts = text?.Split(Separator);
        if (parts is not [var firmId, var scheduleId, var date]
            || !IsValidId(firmId)
            || !IsValidId(scheduleId)
            || DatePattern.Parse(date) is not { Success: true } parsed
            || parsed.Value.Year < 1)
        {
            return false;
        }

        key = new RunKey(firmId, scheduleId, parsed.Value);
        return true;
    }

    private static bool IsValidId(string? id) => !string.IsNullOrWhiteSpace(id) && !id.Contains(Separator);

    private static void EnsureId(string id, string parameter)
    {
        if (!IsValidId(id))
        {
            throw new ArgumentException("Ids in a run key must be non-blank and contain no '/'.", parameter);
        }
    }
}
