namespace PayConnect.Infrastructure.Payments;

/// <summary>Which <see cref="PayConnect.Payments.IPaymentGateway"/> the app uses.</summary>
public enum GatewayKind
{
    /// <summary>In-memory, deterministic test tokens; the local default. See <see cref="Sandbox.SandboxPaymentGateway"/>.</summary>
    Sandbox,

    /// <summary>Stripe PaymentIntents through Stripe.net. See <see cref="Stripe.StripePaymentGateway"/>.</summary>
    Stripe,
}

/// <summary>
/// Settings of the payment gateway, bound from the <c>Gateway</c> section (app settings <c>Gateway__Kind</c>,
/// <c>Gateway__StripeApiKey</c>, <c>Gateway__StripeApiBase</c>, <c>Gateway__OperatingFeeBasisPoints</c>).
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    public GatewayKind Kind { get; set; } = GatewayKind.Sandbox;

    /// <summary>Stripe secret key (sk_live_… / sk_test_…); a Key Vault reference in Azure, never in the repo.</summary>
    public string? StripeApiKey { get; set; }

    /// <summary>Overrides https://api.stripe.com; tests point it at a local server. Empty means Stripe's default.</summary>
    public string? StripeApiBase { get; set; }

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
        if (!Enum.IsDefined(Kind))
        {
            errors.Add($"Gateway:Kind must be {string.Join(" or ", Enum.GetNames<GatewayKind>())}.");
        }

        if (OperatingFeeBasisPoints is < 0 or > PayConnect.Payments.PlatformFeeSchedule.MaxBasisPoints)
        {
            errors.Add($"Gateway:OperatingFeeBasisPoints must be between 0 and {PayConnect.Payments.PlatformFeeSchedule.MaxBasisPoints}.");
        }

        if (Kind == GatewayKind.Stripe)
        {
            if (string.IsNullOrWhiteSpace(StripeApiKey))
            {
                errors.Add("Gateway:StripeApiKey is required when Gateway:Kind is Stripe.");
            }
            else if (StripeApiKey.Any(char.IsWhiteSpace))
            {
                errors.Add("Gateway:StripeApiKey must not contain whitespace.");
            }

            if (!string.IsNullOrWhiteSpace(StripeApiBase)
                && !(Uri.TryCreate(StripeApiBase, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                errors.Add("Gateway:StripeApiBase must be an absolute http(s) URL.");
            }
        }

        return errors;
    }
}
