using System.Diagnostics.CodeAnalysis;

namespace PayConnect.Infrastructure.Payments.Stripe;

/// <summary>
/// The token PayConnect stores for a Stripe payment method: <c>cus_…|pm_…</c>, the Customer and the
/// PaymentMethod attached to it (off-session charges need both). Card and us_bank_account methods alike. A
/// PaymentIntent's <c>payment_method</c> also takes the older Card (<c>card_</c>), BankAccount (<c>ba_</c>) and
/// Source (<c>src_</c>) objects saved on a Customer, so those ids are accepted in the second place too.
/// </summary>
public sealed record StripePaymentMethodToken(string CustomerId, string PaymentMethodId)
{
    public const char Separator = '|';

    /// <summary>Prefixes of the ids a PaymentIntent accepts as its payment method.</summary>
    public static readonly IReadOnlyList<string> PaymentMethodPrefixes = ["pm_", "card_", "ba_", "src_"];

    public static bool TryParse(string? token, [NotNullWhen(true)] out StripePaymentMethodToken? parsed)
    {
        parsed = null;
        var parts = token?.Split(Separator);
        if (parts is not [var customer, var paymentMethod]
            || !IsId(customer, "cus_")
            || !PaymentMethodPrefixes.Any(prefix => IsId(paymentMethod, prefix)))
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
