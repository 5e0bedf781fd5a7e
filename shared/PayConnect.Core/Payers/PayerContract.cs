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
public sealed record CreatePayerRequest(string Name, string? Email = null) : IExample<CreatePayerRequest>
{
    public static CreatePayerRequest Example => new("Acme Holdings AP", "ap@acme.example");
}

public sealed class CreatePayerRequestValidator : RequestValidator<CreatePayerRequest>
{
    public CreatePayerRequestValidator()
    {
        RuleFor(x => x.Name).Text(PayerRules.MaxNameLength).NoCardNumber();
        RuleFor(x => x.Email).Text(EmailAddresses.MaxLength).PlainEmail();
    }
}

/// <summary>A payer's new name and email; a PUT replaces both.</summary>
/// <param name="Name">The payer's name.</param>
/// <param name="Email">The payer's plain email address; left out, the payer has none.</param>
public sealed record UpdatePayerRequest(string Name, string? Email = null) : IExample<UpdatePayerRequest>
{
    public static UpdatePayerRequest Example => new("Acme Holdings Accounts Payable", "ap@acme.example");
}

public sealed class UpdatePayerRequestValidator : RequestValidator<UpdatePayerRequest>
{
    public UpdatePayerRequestValidator()
    {
        RuleFor(x => x.Name).Text(PayerRules.MaxNameLength).NoCardNumber();
        RuleFor(x => x.Email).Text(EmailAddresses.MaxLength).PlainEmail();
    }
}

/// <summary>A payer.</summary>
/// <param name="Id">The payer's id.</param>
/// <param name="Name">The payer's name.</param>
/// <param name="Email">The payer's email address, if any.</param>
/// <param name="CreatedAt">When the payer was added.</param>
public sealed record PayerResponse(string Id, string Name, string? Email, Instant CreatedAt) : IExample<PayerResponse>
{
    public static PayerResponse Example => new("py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", "Acme Holdings AP", "ap@acme.example", Instant.FromUtc(2026, 3, 2, 15, 0));

    public static PayerResponse From(Payer p) => new(p.Id, p.Name, p.Email, p.CreatedAt);
}

internal static class PayerRules
{
    public const int MaxNameLength = 200;
}
