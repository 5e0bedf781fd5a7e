using PayConnect.Payments;

namespace PayConnect.Infrastructure.Payments.Stripe;

/// <summary>
/// Sorts Stripe card errors into soft and hard declines. Stripe's <c>advice_code</c>, when the issuer gave one,
/// can only make a decline harder: <c>do_not_try_again</c> and <c>confirm_card_data</c> are hard whatever the
/// decline code; <c>try_again_later</c> never softens a hard code (a stolen card stays hard). Decline codes not
/// listed here are hard: never retrying what we do not understand keeps us inside the card networks' retry rules.
/// Every charge is off-session, so a code whose remedy needs the payer present (authentication, a PIN) is hard.
/// The table with its sources: docs/payments/decline-codes.md.
/// </summary>
public static class StripeDeclineClassifier
{
    /// <summary>Temporary conditions: the same card may succeed on a later day (Visa categories 2 and 4).</summary>
    public static readonly IReadOnlySet<string> SoftCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "insufficient_funds",
        "processing_error",
        "try_again_later",
        "issuer_not_available",
        "reenter_transaction",
        "approve_with_id",
        "card_velocity_exceeded",
        "withdrawal_count_limit_exceeded",
        "do_not_honor",
        "generic_decline",
        "call_issuer",
        "no_action_taken",
        // Stripe: declined too many times, charge again after 24 hours; DeclinePolicy waits two calendar days.
        "card_decline_rate_limit_exceeded",
    };

    /// <summary>
    /// Final for this payment method (Visa category 1 and data-quality category 3): lost, stolen, closed, invalid,
    /// expired, not supported, fraud, authorization revoked, or needing the payer present (authentication).
    /// </summary>
    public static readonly IReadOnlySet<string> HardCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "stolen_card",
        "lost_card",
        "pickup_card",
        "restricted_card",
        "fraudulent",
        "merchant_blacklist",
        "security_violation",
        "expired_card",
        "incorrect_number",
        "invalid_number",
        "invalid_account",
        "invalid_amount",
        "incorrect_cvc",
        "invalid_cvc",
        "incorrect_zip",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "invalid_pin",
        "incorrect_pin",
        "pin_try_exceeded",
        "card_not_supported",
        "currency_not_supported",
        "not_permitted",
        "transaction_not_allowed",
        "service_not_allowed",
        "stop_payment_order",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
        "new_account_information_available",
        "do_not_try_again",
        "duplicate_transaction",
        "authentication_required",
        // Need the card inserted and a PIN entered: an off-session retry can never supply one.
        "offline_pin_required",
        "online_or_offline_pin_required",
        "testmode_decline",
        "live_mode_test_card",
    };

    /// <summary>Classifies a card error by its decline code (or error code when Stripe gave none) and advice code.</summary>
    public static DeclineKind Classify(string? declineCode, string? adviceCode)
    {
        if (adviceCode is "do_not_try_again" or "confirm_card_data")
        {
            return DeclineKind.Hard;
        }

        return declineCode is not null && SoftCodes.Contains(declineCode) ? DeclineKind.Soft : DeclineKind.Hard;
    }
}
