using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Infrastructure.Payments;

public static class PaymentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPaymentGateway"/> (the adapter named by <c>Gateway__Kind</c>, Sandbox when unset) with its
    /// <see cref="IPaymentTokenFormat"/>, <see cref="DeclinePolicy"/> (from <c>Declines__*</c>) and their options. Invalid gateway or decline settings
    /// fail when the host starts, rather than at the first charge.
    /// </summary>
    public static IServiceCollection AddPayConnectPayments(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddSettings<GatewayOptions>().ValidateProblems(o => o.Validate());
        services.AddSettings<DeclineOptions>().ValidateProblems(o => o.Validate());
        services.TryAddSingleton(sp => new DeclinePolicy(sp.GetRequiredService<IOptions<DeclineOptions>>().Value));

        // One instance: its memory of idempotency keys and charges is the whole point.
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new SandboxPaymentGateway(sp.GetService<ILogger<SandboxPaymentGateway>>(), options.Fees(), sp.GetService<NodaTime.IClock>(), options.EffectiveWebhookSecret);
        });
        services.TryAddSingleton<IPaymentGateway>(sp =>
        {
            var gateway = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return gateway.EffectiveKind switch
            {
                GatewayKind.Stripe => new StripePaymentGateway(
                    new GatewayOptions { Kind = gateway.Kind, StripeApiKey = gateway.StripeApiKey?.Trim(), StripeApiBase = gateway.StripeApiBase?.Trim(), OperatingFeeBasisPoints = gateway.OperatingFeeBasisPoints },
                    new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
                    {
                        Timeout = StripePaymentGateway.DefaultTimeout,
                    },
                    sp.GetService<ILogger<StripePaymentGateway>>()),
                _ => sp.GetRequiredService<SandboxPaymentGateway>(),
            };
        });

        // The gateway's event deliveries: Stripe's webhook format and signature, for Stripe and for the sandbox alike.
        services.TryAddSingleton<IGatewayEventReader>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return new StripeEventReader(
                options.EffectiveKind == GatewayKind.Stripe ? "stripe" : "sandbox",
                options.EffectiveWebhookSecret,
                sp.GetService<NodaTime.IClock>() ?? NodaTime.SystemClock.Instance,
                sp.GetService<ILogger<StripeEventReader>>());
        });

        // What a payment method token must look like: the gateway's own shape (checked when a method is saved).
        services.TryAddSingleton<IPaymentTokenFormat>(sp =>
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value.EffectiveKind == GatewayKind.Stripe
                ? new StripePaymentTokenFormat()
                : new SandboxPaymentTokenFormat());

        return services;
    }
}
