using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// (<see cref="EmailServiceCollectionExtensions.AddPayConnectEmail"/>), <see cref="RunProcessor"/>, the failure
    /// outbox and its sender, and the Manage Postings and run handlers. Call once.
    /// </summary>
    public static IServiceCollection AddPayConnectRuns(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddPayConnectPayments(configuration);
        services.AddPayConnectEmail(configuration);

        services.TryAddSingleton(new RunProcessorOptions());
        services.TryAddSingleton(_ => new OutboxOptions { PortalBaseUrl = PortalBaseUrl(configuration) });
        services.TryAddSingleton<FailureOutbox>();
        services.TryAddSingleton<RunProcessor>();
        services.TryAddSingleton<OutboxSender>();
        services.TryAddSingleton<PostingHandlers>();
        services.TryAddSingleton<RunHandlers>();
        services.TryAddSingleton<RunRetries>();
        services.TryAddSingleton<PaymentPlanCompletion>();
        return services;
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
