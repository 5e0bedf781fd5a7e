using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Notifications;

namespace PayConnect.Payers;

/// <summary>A new payer: who pays (a client or a third party).</summary>
/// <param name="Name">The payer's name.</param>
/// <param name="Email">The payer's plain email address, such as ap@acme.example.</param>
/// <param name="Jurisdiction">Where the payer is, as an ISO 3166-2 code such as US-CT: a firm may exclude jurisdictions from card surcharges.</param>
public sealed record CreatePayerRequest(string Name, string? Email = null, string? Jurisdiction = null) : IExample<CreatePayerRequest>
{
    public static CreatePayerRequest Example => new("Acme Holdings AP", "ap@acme.example", "US-IL");
}

public sealed class CreatePayerRequestValidator : RequestValidator<CreatePayerRequest>
{
    public CreatePayerRequestValidator()
    {
        RuleFor(x => x.Name).Text(PayerRules.MaxNameLength).NoCardNumber();
        RuleFor(x => x.Email).Text(EmailAddresses.MaxLength).PlainEmail();
        RuleFor(x => x.Jurisdiction).Text(6, 4).Matches(PayerRules.JurisdictionPattern).WithMessage(PayerRules.JurisdictionMessage);
    }
}

/// <summary>A payer's new name, email and jurisdiction; a PUT replaces them all.</summary>
/// <param name="Name">The payer's name.</param>
/// <param name="Email">The payer's plain email address; left out, the payer has none.</param>
/// <param name="Jurisdiction">Where the payer is (ISO 3166-2, such as US-CT); left out, unknown.</param>
public sealed record UpdatePayerRequest(string Name, string? Email = null, string? Jurisdiction = null) : IExample<UpdatePayerRequest>
{
    public static UpdatePayerRequest Example => new("Acme Holdings Accounts Payable", "ap@acme.example", "US-IL");
}

public sealed class UpdatePayerRequestValidator : RequestValidator<UpdatePayerRequest>
{
    public UpdatePayerRequestValidator()
    {
        RuleFor(x => x.Name).Text(PayerRules.MaxNameLength).NoCardNumber();
        RuleFor(x => x.Email).Text(EmailAddresses.MaxLength).PlainEmail();
        RuleFor(x => x.Jurisdiction).Text(6, 4).Matches(PayerRules.JurisdictionPattern).WithMessage(PayerRules.JurisdictionMessage);
    }
}

/// <summary>A payer.</summary>
/// <param name="Id">The payer's id.</param>
/// <param name="Name">The payer's name.</param>
/// <param name="Email">The payer's email address, if any.</param>
/// <param name="CreatedAt">When the payer was added.</param>
/// <param name="Jurisdiction">Where the payer is (ISO 3166-2), if known.</param>
public sealed record PayerResponse(string Id, string Name, string? Email, Instant CreatedAt, string? Jurisdiction) : IExample<PayerResponse>
{
    public static PayerResponse Example => new("py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "Acme Holdings AP", "ap@acme.example", Instant.FromUtc(2026, 3, 2, 15, 0), "US-IL");

    public static PayerResponse From(Payer p) => new(p.Id, p.Name, p.Email, p.CreatedAt, p.Jurisdiction);
}

internal static class PayerRules
{
    public const int MaxNameLength = 200;

    public const string JurisdictionPattern = "^[A-Z]{2}-[A-Z0-9]{1,3}$";

    public const string JurisdictionMessage = "Must be an ISO 3166-2 code in capitals, such as US-CT.";
}
