using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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
    public static IServiceCollection AddPayConnectRuns(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddPayConnectPayments();
        services.AddPayConnectEmail();

        services.TryAddSingleton(new RunProcessorOptions());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.PortalBaseUri() is { } portal
            ? new OutboxOptions { PortalBaseUrl = portal }
            : new OutboxOptions());
        services.TryAddSingleton<FailureOutbox>();
        services.TryAddSingleton<RunProcessor>();
        services.TryAddSingleton<OutboxSender>();
        services.TryAddSingleton<PostingHandlers>();
        services.TryAddSingleton<RunHandlers>();
        services.TryAddSingleton<RunRetries>();
        services.TryAddSingleton<PaymentPlanCompletion>();
        return services;
    }
}
