using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;

namespace PayConnect.Firms;

/// <summary>A deposit account of the firm that Auto-Pay money lands in.</summary>
/// <param name="Name">What staff call the account, such as Operating or IOLTA Trust.</param>
/// <param name="Kind">Operating, or Trust (IOLTA): trust and operating money never mix, and no fee ever comes out of a trust account.</param>
/// <param name="Last4">The last four digits of the account number (never the whole number).</param>
/// <param name="StripeAccountId">The Stripe connected account (acct_…) that settles into this bank account; charges for it are routed there (needed with the Stripe gateway).</param>
public sealed record CreateBankAccountRequest(string Name, BankAccountKind Kind, string Last4, string? StripeAccountId = null) : IExample<CreateBankAccountRequest>
{
    public static CreateBankAccountRequest Example => new("Operating", BankAccountKind.Operating, "1234", "acct_1PayConnectDemo01");
}

public sealed class CreateBankAccountRequestValidator : RequestValidator<CreateBankAccountRequest>
{
    public CreateBankAccountRequestValidator()
    {
        RuleFor(x => x.Name).Text(100).NoCardNumber();
        RuleFor(x => x.Last4).Digits(4);
        RuleFor(x => x.StripeAccountId).Text(Payments.GatewayIds.MaxLength)
            .Must(id => id is null || Payments.GatewayIds.IsConnectedAccountId(id))
            .WithMessage("Must be a Stripe connected account id: acct_ followed by letters and digits.");
    }
}

/// <summary>A firm bank account.</summary>
/// <param name="Id">The account's id.</param>
/// <param name="Name">What staff call the account.</param>
/// <param name="Kind">Operating or Trust.</param>
/// <param name="Last4">The last four digits of the account number.</param>
/// <param name="StripeAccountId">The Stripe connected account money for this account is routed to.</param>
/// <param name="CreatedAt">When it was added.</param>
public sealed record BankAccountResponse(string Id, string Name, BankAccountKind Kind, string Last4, string? StripeAccountId, Instant CreatedAt) : IExample<BankAccountResponse>
{
    public static BankAccountResponse Example => new("ba_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "Operating", BankAccountKind.Operating, "1234", "acct_1PayConnectDemo01", Instant.FromUtc(2026, 3, 2, 15, 0));

    public static BankAccountResponse From(BankAccount a) => new(a.Id, a.Name, a.Kind, a.Last4, a.StripeAccountId, a.CreatedAt);
}
