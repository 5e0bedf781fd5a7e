using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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
    public static IServiceCollection AddPayConnectRuns(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddPayConnectPayments();
        services.AddPayConnectEmail();

        services.AddSettings<RunsOptions>().ValidateProblems(o => o.Problems());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<RunsOptions>>().Value.ToEngineOptions());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.PortalBaseUri() is { } portal
            ? new OutboxOptions { PortalBaseUrl = portal }
            : new OutboxOptions());
        services.TryAddSingleton<FirmSettingsCache>();
        services.TryAddSingleton<SubscriptionCache>();
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

        // Money after the charge: gateway events, refunds, disputes, ACH settlement and returns.
        services.TryAddSingleton<PayConnect.Reversals.ChargeIndex>();
        services.TryAddSingleton<PayConnect.Reversals.MoneyBack>();
        services.TryAddSingleton<PayConnect.Reversals.ChargedRunNotices>();
        services.TryAddSingleton<PayConnect.Reversals.GatewayEventHandler>();
        services.TryAddSingleton<PayConnect.Reversals.RefundHandlers>();
        return services;
    }
}
