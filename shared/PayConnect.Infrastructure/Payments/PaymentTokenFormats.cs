using System.Text.RegularExpressions;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Infrastructure.Payments;

/// <summary>Stripe tokens: <c>cus_…|pm_…</c> (see <see cref="StripePaymentMethodToken"/>), the form the Stripe gateway charges.</summary>
public sealed class StripePaymentTokenFormat : IPaymentTokenFormat
{
    public string Expected => "cus_…|pm_… (a Customer id and its PaymentMethod id; card_, ba_ or src_ ids also work)";

    public bool IsWellFormed(string token) => StripePaymentMethodToken.TryParse(token, out _);
}

/// <summary>Sandbox tokens: <c>pm_sandbox_{outcome}</c>, optionally with a <c>.suffix</c> that tells payers apart.</summary>
public sealed partial class SandboxPaymentTokenFormat : IPaymentTokenFormat
{
    public string Expected => "pm_sandbox_{outcome}, optionally followed by .{suffix} (see the sandbox tokens in the README)";

    public bool IsWellFormed(string token) => Shape().IsMatch(token);

    [GeneratedRegex("^pm_sandbox_[a-z0-9_]+(\\.[A-Za-z0-9_-]{1,64})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
