using FluentValidation;

namespace PayConnect.Api.Validation;

/// <summary>
/// The base of every request validator: all rules run (every field's error is reported at once), and each
/// rule stops at its first failure (one message per problem, not "empty" and "too short" together).
/// </summary>
/// <remarks>
/// Required properties, JSON types and enum names are checked before a validator runs (<see cref="RequestReader"/>,
/// from the record itself); a validator checks values: lengths, ranges, formats and rules across fields. The
/// OpenAPI generator reads the limits of these rules (lengths, ranges, patterns, and rules implementing
/// <see cref="ISchemaKeywords"/>) into the document, so a limit is written once, here.
/// </remarks>
public abstract class RequestValidator<T> : AbstractValidator<T>
{
    protected RequestValidator()
    {
        ClassLevelCascadeMode = CascadeMode.Continue;
        RuleLevelCascadeMode = CascadeMode.Stop;
    }
}
