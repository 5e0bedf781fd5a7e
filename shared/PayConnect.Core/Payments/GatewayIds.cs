namespace PayConnect.Payments;

/// <summary>
/// Shapes of the gateway ids PayConnect stores beside its own records: a Stripe connected account id
/// (<c>acct_…</c>) on a firm bank account and an ACH mandate id (<c>mandate_…</c>) on a payer's bank account.
/// Checked when the record is created so that a typo is refused there, not discovered at the first charge.
/// </summary>
public static class GatewayIds
{
    /// <summary>Stripe ids are short; anything longer is not one.</summary>
    public const int MaxLength = 255;

    public const string ConnectedAccountPrefix = "acct_";

    public const string MandatePrefix = "mandate_";

    /// <summary>True for <c>acct_</c> followed by ASCII letters and digits only.</summary>
    public static bool IsConnectedAccountId(string? value) => Is(value, ConnectedAccountPrefix);

    /// <summary>True for <c>mandate_</c> followed by ASCII letters and digits only.</summary>
    public static bool IsMandateId(string? value) => Is(value, MandatePrefix);

    private static bool Is(string? value, string prefix) =>
        value is not null
        && value.Length > prefix.Length
        && value.Length <= MaxLength
        && value.StartsWith(prefix, StringComparison.Ordinal)
        && value.AsSpan(prefix.Length).ToString().All(char.IsAsciiLetterOrDigit);
}
