using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PayConnect.Authorizations;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Notifications;
using PayConnect.Notifications.PayerNotices;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Infrastructure.Notifications;

public static class NoticesServiceCollectionExtensions
{
    /// <summary>
    /// Registers the authorization records, the payer notices (pre-charge notices and their gate, receipts, expiry
    /// warnings), the daily run digest, make-up and the unsubscribe links, with the <c>Notifications</c> settings.
    /// </summary>
    public static IServiceCollection AddPayConnectNotices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSettings<NotificationsOptions>().ValidateProblems(o => o.Problems());
        services.TryAddSingleton(sp => new UnsubscribeTokens(sp.GetRequiredService<IOptions<NotificationsOptions>>().Value.UnsubscribeKey!.Trim()));
        services.TryAddSingleton(sp => new NotificationLinks(sp.GetRequiredService<UnsubscribeTokens>(), sp.GetRequiredService<IOptions<NotificationsOptions>>().Value.PublicBaseUri(sp.GetRequiredService<IOptions<AzureOptions>>().Value.WebsiteHostName)));
        services.TryAddSingleton<UnsubscribeHandler>();
        services.TryAddSingleton<ScheduleAuthorizations>();
        services.TryAddSingleton<AuthorizationHandlers>();
        services.TryAddSingleton<DueIndexWindow>();
        services.TryAddSingleton<MakeUp>();
        services.TryAddSingleton<RunPreview>();
        services.TryAddSingleton<ExpiryWarnings>();
        services.TryAddSingleton<PreChargeNotices>();
        services.TryAddSingleton<PreChargeGate>();
        services.TryAddSingleton<RunDigest>();
        services.TryAddSingleton<PaymentReceipts>();
        return services;
    }
}
