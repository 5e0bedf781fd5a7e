using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email;
using PayConnect.Infrastructure.Payments;
using PayConnect.Notifications;
using PayConnect.Postings;
using PayConnect.Runs;

namespace PayConnect.Infrastructure.Runs;

public static class RunsServiceCollectionExtensions
{
    /// <summary>
    /// Registers what processes runs and what follows them: the gateway and decline policy
    /// (<see cref="PaymentsServiceCollectionExtensions.AddPayConnectPayments"/>), the email transport
    /// (<see cref="EmailServiceCollectionExtensions.AddPayConnectEmail"/>), the run engine (<see cref="RunProcessor"/> and its
    /// steps), the notification outbox and its sender, and the Manage Postings and run handlers. Call once.
    /// </summary>
    public static IServiceCollection AddPayConnectRuns(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddPayConnectPayments(configuration);
        services.AddPayConnectEmail(configuration);

        services.TryAddSingleton(_ => EngineOptions(configuration));
        services.TryAddSingleton(_ => new OutboxOptions { PortalBaseUrl = PortalBaseUrl(configuration) });
        services.TryAddSingleton<FirmSettingsCache>();
        services.TryAddSingleton<NotificationOutbox>();
        services.TryAddSingleton<RunLedger>();
        services.TryAddSingleton<LedgerMigration>();
        services.TryAddSingleton<RunRetries>();
        services.TryAddSingleton<RunAllocator>();
        services.TryAddSingleton<RunCharger>();
        services.TryAddSingleton<RunFollowUp>();
        services.TryAddSingleton<RunProcessor>();
        services.TryAddSingleton<OutboxSender>();
        services.TryAddSingleton<PostingHandlers>();
        services.TryAddSingleton<RunHandlers>();
        return services;
    }

    private static RunEngineOptions EngineOptions(IConfiguration configuration)
    {
        var defaults = new RunEngineOptions();
        return defaults with
        {
            MmsRetryDelays = Delays(configuration, AppSettings.RunsMmsRetryDelays) ?? defaults.MmsRetryDelays,
            GatewayRetryDelays = Delays(configuration, AppSettings.RunsGatewayRetryDelays) ?? defaults.GatewayRetryDelays,
        };
    }

    /// <summary>A comma-separated list of waits (<c>hh:mm:ss</c>), each from one second to a day; null when unset.</summary>
    private static IReadOnlyList<Duration>? Delays(IConfiguration configuration, string name)
    {
        var text = configuration[name.Replace("__", ":", StringComparison.Ordinal)] ?? configuration[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var delays = new List<Duration>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var wait) || wait < TimeSpan.FromSeconds(1) || wait > TimeSpan.FromDays(1))
            {
                throw new InvalidOperationException($"{name} must be a comma-separated list of waits from 00:00:01 to 1.00:00:00; '{part}' is not.");
            }

            delays.Add(Duration.FromTimeSpan(wait));
        }

        return delays;
    }

    private static Uri PortalBaseUrl(IConfiguration configuration)
    {
        var text = configuration[AppSettings.EmailPortalBaseUrl] ?? configuration[AppSettings.EmailPortalBaseUrl.Replace("__", ":", StringComparison.Ordinal)];
        if (string.IsNullOrWhiteSpace(text))
        {
            return new OutboxOptions().PortalBaseUrl;
        }

        return Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : throw new InvalidOperationException($"{AppSettings.EmailPortalBaseUrl} must be an absolute http(s) URL.");
    }
}
