using System.Diagnostics.CodeAnalysis;
using NodaTime;

namespace PayConnect.Scheduling;

/// <summary>
/// Firm-local dates from an injected clock. Run dates are calendar dates in the firm's IANA time zone; the host's
/// time zone (UTC on Azure) never matters.
/// </summary>
public sealed class FirmClock(IClock clock)
{
    /// <summary>The largest UTC offset any time zone has (UTC+14, e.g. Pacific/Kiritimati).</summary>
    public static readonly Offset MaxOffset = Offset.FromHours(14);

    /// <summary>The smallest UTC offset any time zone has (UTC−12, Etc/GMT+12).</summary>
    public static readonly Offset MinOffset = Offset.FromHours(-12);

    /// <summary>The current instant.</summary>
    public Instant Now => clock.GetCurrentInstant();

    /// <summary>Today's date in <paramref name="zone"/>.</summary>
    public LocalDate Today(DateTimeZone zone) => TodayIn(zone, Now);

    /// <summary>The date in <paramref name="zone"/> at <paramref name="instant"/>.</summary>
    public static LocalDate TodayIn(DateTimeZone zone, Instant instant)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return instant.InZone(zone).Date;
    }

    /// <summary>
    /// The latest local date any zone can be on at <paramref name="instant"/> (the date at UTC+14). A fan-out can read
    /// every schedule with a next run date ≤ this from its due index, then keep those due in their own firm's zone.
    /// </summary>
    public static LocalDate LatestLocalDate(Instant instant) => instant.WithOffset(MaxOffset).Date;

    /// <summary>The earliest local date any zone can be on at <paramref name="instant"/> (the date at UTC−12).</summary>
    public static LocalDate EarliestLocalDate(Instant instant) => instant.WithOffset(MinOffset).Date;

    /// <summary>
    /// Resolves an IANA time zone id (exact, case-sensitive, one of <c>DateTimeZoneProviders.Tzdb.Ids</c>), giving a
    /// field error instead of throwing for a missing or unknown id.
    /// </summary>
    /// <param name="zoneId">The id, e.g. <c>America/Chicago</c>.</param>
    /// <param name="zone">The zone when the id is valid.</param>
    /// <param name="error">The problem when it is not.</param>
    /// <param name="field">Field name used in the error.</param>
    public static bool TryResolveZone(
        string? zoneId,
        [NotNullWhen(true)] out DateTimeZone? zone,
        [NotNullWhen(false)] out FieldError? error,
        string field = "timeZone")
    {
        zone = null;
        error = null;
        if (string.IsNullOrWhiteSpace(zoneId))
        {
            error = new FieldError(field, "A time zone is required: an IANA id such as America/Chicago.");
            return false;
        }

        // The provider also accepts fixed offsets such as "UTC+05"; a firm needs a real IANA zone.
        if (!DateTimeZoneProviders.Tzdb.Ids.Contains(zoneId))
        {
            error = new FieldError(field, "Not a known IANA time zone id; use one such as America/Chicago.");
            return false;
        }

        zone = DateTimeZoneProviders.Tzdb[zoneId];
        return true;
    }
}
