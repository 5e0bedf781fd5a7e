using System.Globalization;
using NodaTime;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Runs;

namespace PayConnect.Infrastructure.Runs;

/// <summary>How the run engine waits for what it depends on (section <c>Runs</c>).</summary>
public sealed class RunsOptions
{
    public const string SectionName = "Runs";

    /// <summary><c>Runs__MmsRetryDelays</c>: comma-separated waits (hh:mm:ss) before an unreachable MMS is asked again.</summary>
    public string? MmsRetryDelays { get; set; }

    /// <summary><c>Runs__GatewayRetryDelays</c>: comma-separated waits before an unconfirmed charge is asked about again.</summary>
    public string? GatewayRetryDelays { get; set; }

    public IEnumerable<string> Problems()
    {
        foreach (var (name, value) in new[] { (AppSettings.RunsMmsRetryDelays, MmsRetryDelays), (AppSettings.RunsGatewayRetryDelays, GatewayRetryDelays) })
        {
            if (!TryParse(value, out _))
            {
                yield return $"{name} must be a comma-separated list of waits from 00:00:01 to 1.00:00:00, such as 00:01:00,00:05:00.";
            }
        }
    }

    /// <summary>The engine's settings: the defaults, with the waits given here.</summary>
    public RunEngineOptions ToEngineOptions()
    {
        var defaults = new RunEngineOptions();
        return defaults with
        {
            MmsRetryDelays = TryParse(MmsRetryDelays, out var mms) && mms is not null ? mms : defaults.MmsRetryDelays,
            GatewayRetryDelays = TryParse(GatewayRetryDelays, out var gateway) && gateway is not null ? gateway : defaults.GatewayRetryDelays,
        };
    }

    private static bool TryParse(string? text, out IReadOnlyList<Duration>? delays)
    {
        delays = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var parsed = new List<Duration>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var wait) || wait < TimeSpan.FromSeconds(1) || wait > TimeSpan.FromDays(1))
            {
                return false;
            }

            parsed.Add(Duration.FromTimeSpan(wait));
        }

        delays = parsed;
        return true;
    }
}
