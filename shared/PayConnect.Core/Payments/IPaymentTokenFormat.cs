namespace PayConnect.Payments;

/// <summary>
/// The shape of the configured gateway's payment-method tokens, checked when a method is saved so that a token
/// the gateway could never charge (or a card number typed into the token field) is refused at once.
/// </summary>
public interface IPaymentTokenFormat
{
    /// <summary>What a token looks like, for the error message (e.g. <c>cus_…|pm_…</c>).</summary>
    string Expected { get; }

    bool IsWellFormed(string token);
}
