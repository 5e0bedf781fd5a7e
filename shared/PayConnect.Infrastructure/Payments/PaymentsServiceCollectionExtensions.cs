using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Infrastructure.Payments;

public static class PaymentsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPaymentGateway"/> (the adapter named by <c>Gateway__Kind</c>, Sandbox when unset) with its
    /// <see cref="IPaymentTokenFormat"/>,
    /// <see cref="DeclinePolicy"/> (from <c>Declines__*</c>) and their options. Invalid gateway settings fail here,
    /// at startup, rather than at the first charge.
    /// </summary>
    public static IServiceCollection AddPayConnectPayments(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var section = configuration.GetSection(GatewayOptions.SectionName);
        var gateway = ReadGatewayOptions(section);
        services.AddOptions<GatewayOptions>().Configure(o =>
        {
            o.Kind = gateway.Kind;
            o.StripeApiKey = gateway.StripeApiKey;
            o.StripeApiBase = gateway.StripeApiBase;
        });

        services.AddOptions<DeclineOptions>()
            .Bind(configuration.GetSection(DeclineOptions.SectionName))
            .Validate(o => o.Validate().Count == 0, "Declines settings are out of range (MaxSoftDeclineRetries 0–15, RetryAfterDays 1–30).");
        services.AddSingleton(sp => new DeclinePolicy(sp.GetRequiredService<IOptions<DeclineOptions>>().Value));

        switch (gateway.Kind)
        {
            case GatewayKind.Stripe:
                services.AddSingleton<IPaymentTokenFormat, StripePaymentTokenFormat>();
                services.AddSingleton<IPaymentGateway>(sp => new StripePaymentGateway(
                    gateway,
                    new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
                    {
                        Timeout = StripePaymentGateway.DefaultTimeout,
                    },
                    sp.GetService<ILogger<StripePaymentGateway>>()));
                break;
            default:
                services.AddSingleton<IPaymentTokenFormat, SandboxPaymentTokenFormat>();

                // One instance: its memory of idempotency keys and charges is the whole point.
                services.AddSingleton(sp => new SandboxPaymentGateway(sp.GetService<ILogger<SandboxPaymentGateway>>()));
                services.AddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<SandboxPaymentGateway>());
                break;
        }

        return services;
    }

    private static GatewayOptions ReadGatewayOptions(IConfigurationSection section)
    {
        var kindText = section[nameof(GatewayOptions.Kind)];
        var kind = GatewayKind.Sandbox;
        if (!string.IsNullOrWhiteSpace(kindText)
            && (!Enum.TryParse(kindText, ignoreCase: true, out kind) || !Enum.IsDefined(kind) || int.TryParse(kindText, out _)))
        {
            throw new InvalidOperationException($"Gateway:Kind '{kindText}' is not one of {string.Join(", ", Enum.GetNames<GatewayKind>())}.");
        }

        var options = new GatewayOptions
        {
            Kind = kind,
            StripeApiKey = NullIfBlank(section[nameof(GatewayOptions.StripeApiKey)]),
            StripeApiBase = NullIfBlank(section[nameof(GatewayOptions.StripeApiBase)]),
        };
        var errors = options.Validate();
        return errors.Count == 0 ? options : throw new InvalidOperationException(string.Join(" ", errors));
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
