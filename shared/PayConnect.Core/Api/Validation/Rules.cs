using System.Collections;
using System.Text.Json.Nodes;
using FluentValidation;
using FluentValidation.Validators;
using PayConnect.Notifications;
using PayConnect.Payments;

namespace PayConnect.Api.Validation;

/// <summary>The house rules, with the house messages, shared by every request validator.</summary>
public static class Rules
{
    /// <summary>A string of <paramref name="min"/> to <paramref name="max"/> characters (after trimming) when present.</summary>
    public static IRuleBuilderOptions<T, string?> Text<T>(this IRuleBuilder<T, string?> rule, int max, int min = 1) =>
        rule.Length(min, max).WithMessage((_, value) => value is not null && value.Length < min
            ? min == 1 ? "Must not be empty." : $"Must be at least {min} characters."
            : $"Must be at most {max} characters.");

    /// <summary>Free text that must not hold a card number, however its digits are separated (<see cref="CardNumbers"/>).</summary>
    public static IRuleBuilderOptions<T, string?> NoCardNumber<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(value => !CardNumbers.Contains(value)).WithMessage("Must not contain a card or account number.");

    /// <summary>Exactly <paramref name="count"/> ASCII digits.</summary>
    public static IRuleBuilderOptions<T, string?> Digits<T>(this IRuleBuilder<T, string?> rule, int count) =>
        rule.Matches($"^[0-9]{{{count}}}$").WithMessage($"Must be {count} digits.");

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> when present.</summary>
    public static IRuleBuilderOptions<T, int?> Between<T>(this IRuleBuilder<T, int?> rule, int min, int max) =>
        rule.InclusiveBetween(min, max).WithMessage($"Must be between {min} and {max}.");

    /// <summary>A plain email address (<see cref="EmailAddresses.IsPlain"/>).</summary>
    public static IRuleBuilderOptions<T, string?> PlainEmail<T>(this IRuleBuilder<T, string?> rule) =>
        rule.SetValidator(new PlainEmailValidator<T>()).WithMessage("Must be a plain email address such as name@example.com (no display name, brackets or quotes).");

    /// <summary>One of <paramref name="values"/> (case-sensitive); listed as the schema's <c>enum</c>.</summary>
    public static IRuleBuilderOptions<T, string?> OneOf<T>(this IRuleBuilder<T, string?> rule, IReadOnlyList<string> values, string message) =>
        rule.SetValidator(new OneOfValidator<T>(values)).WithMessage(message);

    /// <summary>A list of <paramref name="min"/> to <paramref name="max"/> items when present.</summary>
    public static IRuleBuilderOptions<T, TList?> Items<T, TList>(this IRuleBuilder<T, TList?> rule, int min, int max)
        where TList : IEnumerable =>
        rule.SetValidator(new ItemCountValidator<T, TList>(min, max)).WithMessage(min == max
            ? $"Must have {min} item(s)."
            : min == 0 ? $"Must have at most {max} items." : $"Must have from {min} to {max} items.");

    private sealed class PlainEmailValidator<T> : PropertyValidator<T, string?>, ISchemaKeywords
    {
        public override string Name => "PlainEmailValidator";

        public override bool IsValid(ValidationContext<T> context, string? value) => value is null || EmailAddresses.IsPlain(value);

        public void ApplyTo(JsonObject schema) => schema["format"] = "email";
    }

    private sealed class OneOfValidator<T>(IReadOnlyList<string> values) : PropertyValidator<T, string?>, ISchemaKeywords
    {
        public override string Name => "OneOfValidator";

        public override bool IsValid(ValidationContext<T> context, string? value) => value is null || values.Contains(value, StringComparer.Ordinal);

        public void ApplyTo(JsonObject schema) => schema["enum"] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
    }

    private sealed class ItemCountValidator<T, TList>(int min, int max) : PropertyValidator<T, TList?>, ISchemaKeywords
        where TList : IEnumerable
    {
        public override string Name => "ItemCountValidator";

        public override bool IsValid(ValidationContext<T> context, TList? value)
        {
            if (value is null)
            {
                return true;
            }

            var count = value.Cast<object?>().Count();
            return count >= min && count <= max;
        }

        public void ApplyTo(JsonObject schema)
        {
            if (min > 0)
            {
                schema["minItems"] = min;
            }

            schema["maxItems"] = max;
        }
    }
}
