using System.Diagnostics.CodeAnalysis;

namespace PayConnect.Infrastructure.Payments.Stripe;

/// <summary>
/// The token PayConnect stores for a Stripe payment method: <c>cus_…|pm_…</c>, the Customer and the
/// PaymentMethod attached to it (off-session charges need both). Card and us_bank_account methods alike.
/// </summary>
public sealed record StripePaymentMethodToken(string CustomerId, string PaymentMethodId)
{
    public const char Separator = '|';

    public static bool TryParse(string? token, [NotNullWhen(true)] out StripePaymentMethodToken? parsed)
    {
        parsed = null;
        var parts = token?.Split(Separator);
        if (parts is not [var customer, var paymentMethod]
            || !IsId(customer, "cus_")
            || !IsId(paymentMethod, "pm_"))
        {
            return false;
        }

        parsed = new StripePaymentMethodToken(customer, paymentMethod);
        return true;
    }

    public override string ToString() => CustomerId + Separator + PaymentMethodId;

    private static bool IsId(string value, string prefix) =>
        value.Length > prefix.Length
        && value.StartsWith(prefix, StringComparison.Ordinal)
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
