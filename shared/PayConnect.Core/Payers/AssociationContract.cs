using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;

namespace PayConnect.Payers;

/// <summary>Ties the payer to ticked MMS search results, one association each, all or nothing.</summary>
/// <param name="Items">The ticked results.</param>
public sealed record CreateAssociationsRequest(IReadOnlyList<AssociationItem> Items) : IExample<CreateAssociationsRequest>
{
    public const int MaxItems = 100;

    public static CreateAssociationsRequest Example => new([new AssociationItem(AssociationLevel.Client, "C-100"), new AssociationItem(AssociationLevel.Invoice, "INV-2001")]);
}

/// <summary>One ticked MMS search result.</summary>
/// <param name="Level">Client (all its matters and invoices), Matter (all its invoices) or Invoice.</param>
/// <param name="Number">The client, matter or invoice number in the MMS.</param>
public sealed record AssociationItem(AssociationLevel Level, string Number);

public sealed class CreateAssociationsRequestValidator : RequestValidator<CreateAssociationsRequest>
{
    public CreateAssociationsRequestValidator()
    {
        RuleFor(x => x.Items).Items(1, CreateAssociationsRequest.MaxItems);
        RuleForEach(x => x.Items).SetValidator(new AssociationItemValidator());
        RuleFor(x => x.Items).Custom((items, context) =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < (items?.Count ?? 0); i++)
            {
                if (items![i] is { Number: not null } item && !seen.Add(Association.IdOf(item.Level, item.Number)))
                {
                    context.AddFailure($"items[{i}]", "Appears more than once in this request.");
                }
            }
        });
    }
}

public sealed class AssociationItemValidator : RequestValidator<AssociationItem>
{
    public AssociationItemValidator() => RuleFor(x => x.Number).Text(64);
}

/// <summary>An association of a payer with one MMS scope.</summary>
/// <param name="Id">Derived from the scope, so a payer has one association per scope.</param>
/// <param name="PayerId">The payer.</param>
/// <param name="Level">Client, Matter or Invoice.</param>
/// <param name="ClientNumber">The scope's client.</param>
/// <param name="MatterNumber">The scope's matter (Matter and Invoice levels).</param>
/// <param name="InvoiceNumber">The scope's invoice (Invoice level).</param>
/// <param name="DisplayName">What the MMS calls the scope.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record AssociationResponse(
    string Id,
    string PayerId,
    AssociationLevel Level,
    string ClientNumber,
    string? MatterNumber,
    string? InvoiceNumber,
    string DisplayName,
    Instant CreatedAt) : IExample<AssociationResponse>
{
    public static AssociationResponse Example =>
        new("client-Qy0xMDA", "py_0195f1c2a3b47c8d9e0f1a2b3c4d5e6f", AssociationLevel.Client, "C-100", null, null, "Acme Holdings", Instant.FromUtc(2026, 3, 2, 15, 0));

    public static AssociationResponse From(Association a) => new(a.Id, a.PayerId, a.Level, a.ClientNumber, a.MatterNumber, a.InvoiceNumber, a.DisplayName, a.CreatedAt);
}

/// <summary>The associations one request created.</summary>
/// <param name="Items">One per ticked result, in request order.</param>
public sealed record AssociationsCreatedResponse(IReadOnlyList<AssociationResponse> Items) : IExample<AssociationsCreatedResponse>
{
    public static AssociationsCreatedResponse Example => new([AssociationResponse.Example]);
}
