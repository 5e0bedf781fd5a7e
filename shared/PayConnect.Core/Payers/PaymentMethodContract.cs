using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Payments;

namespace PayConnect.Payers;

/// <summary>
/// Saves a payer's payment method: the gateway's token and display data only. Card numbers and security codes
/// are never accepted.
/// </summary>
/// <param name="Kind">Card, or Ach (a bank account).</param>
/// <param name="Token">The gateway's token for the method: with Stripe cus_…|pm_… (the Customer and its PaymentMethod; card_, ba_ and src_ ids also work), with the sandbox gateway pm_sandbox_… (see the README).</param>
/// <param name="DisplayName">What staff see, such as Visa or First National Bank.</param>
/// <param name="Last4">The last four digits of the card or account number.</param>
/// <param name="ExpiryMonth">Card expiry month (cards only, required for them).</param>
/// <param name="ExpiryYear">Card expiry year (cards only, required for them).</param>
/// <param name="MandateId">Bank accounts only: the mandate (mandate_…) the payer accepted when the account was saved; sent with every off-session debit.</param>
/// <param name="Funding">Cards only: the card's funding type as the gateway reports it for the method (Stripe card.funding); a card surcharge applies to credit cards only. Left out: Unknown.</param>
public sealed record CreatePaymentMethodRequest(
    PaymentMethodKind Kind,
    string Token,
    string DisplayName,
    string Last4,
    int? ExpiryMonth = null,
    int? ExpiryYear = null,
    string? MandateId = null,
    CardFunding? Funding = null) : IExample<CreatePaymentMethodRequest>
{
    public static CreatePaymentMethodRequest Example => new(PaymentMethodKind.Card, "pm_sandbox_approve", "Visa", "4242", 12, 2030, Funding: CardFunding.Credit);
}

public sealed class CreatePaymentMethodRequestValidator : RequestValidator<CreatePaymentMethodRequest>
{
    public CreatePaymentMethodRequestValidator(IPaymentTokenFormat tokens)
    {
        RuleFor(x => x.Token).Text(255, 3)
            .NoCardNumber().WithMessage("Looks like a card number; send the gateway's token instead, never the card number.")
            .Must(token => token is null || tokens.IsWellFormed(token)).WithMessage($"Must be a token of the payment gateway: {tokens.Expected}.");
        RuleFor(x => x.DisplayName).Text(60).NoCardNumber();
        RuleFor(x => x.Last4).Digits(4);
        RuleFor(x => x.ExpiryMonth).Between(1, 12);
        RuleFor(x => x.ExpiryYear).Between(2000, 2100);
        RuleFor(x => x.MandateId).Text(GatewayIds.MaxLength)
            .Must(id => id is null || GatewayIds.IsMandateId(id))
            .WithMessage("Must be a Stripe mandate id: mandate_ followed by letters and digits.");
        When(x => x.Kind == PaymentMethodKind.Card, () =>
        {
            RuleFor(x => x.ExpiryMonth).NotNull().WithMessage("Is required for cards.");
            RuleFor(x => x.ExpiryYear).NotNull().WithMessage("Is required for cards.");
            RuleFor(x => x.MandateId).Null().WithMessage("Only bank accounts (Ach) carry a mandate.");
        }).Otherwise(() =>
        {
            RuleFor(x => x.Funding).Null().WithMessage("Only cards have a funding type.");
            RuleFor(x => x.ExpiryMonth).Null().WithMessage("Bank accounts (Ach) have no expiry.");
            RuleFor(x => x.ExpiryYear).Null().WithMessage("Bank accounts (Ach) have no expiry.");
        });
    }
}

/// <summary>A saved payment method: display data only; the token is the gateway's business and never comes back.</summary>
/// <param name="Id">The method's id.</param>
/// <param name="PayerId">Its payer.</param>
/// <param name="Kind">Card or Ach.</param>
/// <param name="DisplayName">What staff see.</param>
/// <param name="Last4">The last four digits.</param>
/// <param name="ExpiryMonth">Card expiry month; null for Ach.</param>
/// <param name="ExpiryYear">Card expiry year; null for Ach.</param>
/// <param name="MandateId">The ACH mandate sent with off-session debits; null for cards.</param>
/// <param name="CreatedAt">When it was saved.</param>
/// <param name="Funding">A card's funding type (Credit, Debit, Prepaid, Unknown); null for Ach.</param>
public sealed record PaymentMethodResponse(
    string Id,
    string PayerId,
    PaymentMethodKind Kind,
    string DisplayName,
    string Last4,
    int? ExpiryMonth,
    int? ExpiryYear,
    string? MandateId,
    Instant CreatedAt,
    CardFunding? Funding) : IExample<PaymentMethodResponse>
{
    public static PaymentMethodResponse Example =>
        new("pm_0195f1c2a3b47c8d9e0f1a2b3c4d5e70", "py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", PaymentMethodKind.Card, "Visa", "4242", 12, 2030, null, Instant.FromUtc(2026, 3, 2, 15, 0), CardFunding.Credit);

    public static PaymentMethodResponse From(PaymentMethod m) =>
        new(m.Id, m.PayerId, m.Kind, m.DisplayName, m.Last4, m.ExpiryMonth, m.ExpiryYear, m.MandateId, m.CreatedAt, m.Kind == PaymentMethodKind.Card ? m.Funding ?? CardFunding.Unknown : null);
}
