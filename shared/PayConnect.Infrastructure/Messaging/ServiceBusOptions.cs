using System.ComponentModel.DataAnnotations;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>
/// The Service Bus namespace and queue (section <c>ServiceBus</c>): a connection string locally (the local
/// broker), the namespace reached with the managed identity in Azure. When both are set the connection string wins.
/// </summary>
public sealed class ServiceBusOptions
{
    public const string SectionName = "ServiceBus";

    /// <summary><c>ServiceBus__ConnectionString</c> (local only).</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>ServiceBus__FullyQualifiedNamespace</c>, e.g. NAME.servicebus.windows.net (Azure).</summary>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary><c>ServiceBus__RunsQueue</c>: the queue of due Auto-Pay runs.</summary>
    [Required(ErrorMessage = AppSettings.ServiceBusRunsQueue + " must name the runs queue.")]
    public string RunsQueue { get; set; } = "autopay-runs";

    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(FullyQualifiedNamespace))
        {
            yield return $"Set {AppSettings.ServiceBusConnectionString} (locally) or {AppSettings.ServiceBusNamespace} (in Azure).";
        }
        else if (Uri.CheckHostName(FullyQualifiedNamespace.Trim()) != UriHostNameType.Dns)
        {
            yield return $"{AppSettings.ServiceBusNamespace} must be a host name such as NAME.servicebus.windows.net (no scheme, no path).";
        }
    }
}

/// <summary>How much one drain invocation takes on (section <c>RunDrain</c>); the bounds are the template's.</summary>
public sealed class RunDrainOptions
{
    public const string SectionName = "RunDrain";

    /// <summary><c>RunDrain__TimeBudgetSeconds</c>: below the 10-minute function timeout.</summary>
    [Range(10, 540, ErrorMessage = AppSettings.RunDrainTimeBudgetSeconds + " must be between 10 and 540.")]
    public int TimeBudgetSeconds { get; set; } = 240;

    /// <summary><c>RunDrain__MaxConcurrency</c>.</summary>
    [Range(1, 64, ErrorMessage = AppSettings.RunDrainMaxConcurrency + " must be between 1 and 64.")]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>The limits the drain works with.</summary>
    public DrainOptions ToDrainOptions() => new()
    {
        TimeBudget = TimeSpan.FromSeconds(TimeBudgetSeconds),
        MaxConcurrency = MaxConcurrency,
    };
}
