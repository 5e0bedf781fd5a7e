using System.ComponentModel;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infrastructure.Payments;

/// <summary>Which <see cref="PayConnect.Payments.IPaymentGateway"/> the app uses.</summary>
[TypeConverter(typeof(StrictEnumConverter<GatewayKind>))]
public enum GatewayKind
{
    /// <summary>In-memory, deterministic test tokens; the local default. See <see cref="Sandbox.SandboxPaymentGateway"/>.</summary>
    Sandbox,

    /// <summary>Stripe PaymentIntents through Stripe.net. See <see cref="Stripe.StripePaymentGateway"/>.</summary>
    Stripe,
}

/// <summary>
/// Settings of the payment gateway, bound from the <c>Gateway</c> section (app settings <c>Gateway__Kind</c>,
/// <c>Gateway__StripeApiKey</c>, <c>Gateway__StripeApiBase</c>, <c>Gateway__OperatingFeeBasisPoints</c>,
/// <c>Gateway__WebhookSecret</c>).
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary><c>Gateway__Kind</c>; unset (or empty, as in the sample settings) means <see cref="GatewayKind.Sandbox"/>.</summary>
    public GatewayKind? Kind { get; set; }

    /// <summary>Stripe secret key (sk_live_… / sk_test_…); a Key Vault reference in Azure, never in the repo.</summary>
    public string? StripeApiKey { get; set; }

    /// <summary>Overrides https://api.stripe.com; tests point it at a local server. Empty means Stripe's default.</summary>
    public string? StripeApiBase { get; set; }

    /// <summary>
    /// The signing secret (<c>whsec_…</c>) of the gateway-events endpoint: Stripe's webhook endpoint secret, a Key Vault
    /// reference in Azure. With the sandbox, what it signs its events with (a local development secret when unset).
    /// </summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The secret events are checked with: the configured one, or the sandbox's development secret.</summary>
    public string? EffectiveWebhookSecret =>
        !string.IsNullOrWhiteSpace(WebhookSecret) ? WebhookSecret.Trim()
        : EffectiveKind == GatewayKind.Sandbox ? Sandbox.SandboxPaymentGateway.DevelopmentWebhookSecret
        : null;

    /// <summary>The gateway in use: <see cref="Kind"/>, Sandbox when unset.</summary>
    public GatewayKind EffectiveKind => Kind ?? GatewayKind.Sandbox;

    /// <summary>
    /// The platform's application fee on operating-account charges, in basis points (0–1000); trust charges never carry
    /// one. It is how the platform recovers Stripe's processing fees, which destination charges debit from the platform
    /// (docs/decisions/0015-deposit-routing-destination-charges.md).
    /// </summary>
    public int OperatingFeeBasisPoints { get; set; }

    /// <summary>The fee schedule these options describe.</summary>
    public PayConnect.Payments.PlatformFeeSchedule Fees() => new(OperatingFeeBasisPoints);

    /// <summary>Problems with the values, empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Kind is { } kind && !Enum.IsDefined(kind))
        {
            errors.Add($"Gateway__Kind must be {string.Join(" or ", Enum.GetNames<GatewayKind>())}.");
        }

        if (OperatingFeeBasisPoints is < 0 or > PayConnect.Payments.PlatformFeeSchedule.MaxBasisPoints)
        {
            errors.Add($"Gateway__OperatingFeeBasisPoints must be between 0 and {PayConnect.Payments.PlatformFeeSchedule.MaxBasisPoints}.");
        }

        if (EffectiveKind == GatewayKind.Stripe)
        {
            if (string.IsNullOrWhiteSpace(StripeApiKey))
            {
                errors.Add("Gateway__StripeApiKey is required when Gateway__Kind is Stripe.");
            }
            else if (StripeApiKey.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                // App Service leaves a reference it cannot resolve as text; charging with it would fail every run.
                errors.Add("Gateway__StripeApiKey is an unresolved Key Vault reference: add the StripeApiKey secret (docs/deploy.md) and restart the app.");
            }
            else if (StripeApiKey.Any(char.IsWhiteSpace))
            {
                errors.Add("Gateway__StripeApiKey must not contain whitespace.");
            }

            if (string.IsNullOrWhiteSpace(WebhookSecret))
            {
                errors.Add("Gateway__WebhookSecret is required when Gateway__Kind is Stripe: without it no refund, dispute or ACH return can be verified.");
            }
            else if (WebhookSecret.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add("Gateway__WebhookSecret is an unresolved Key Vault reference: add the GatewayWebhookSecret secret (docs/deploy.md) and restart the app.");
            }

            if (!string.IsNullOrWhiteSpace(StripeApiBase)
                && !(Uri.TryCreate(StripeApiBase, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                errors.Add("Gateway__StripeApiBase must be an absolute http(s) URL.");
            }
        }

        return errors;
    }
}
