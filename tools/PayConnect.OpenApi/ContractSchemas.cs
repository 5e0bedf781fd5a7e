using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using FluentValidation;
using FluentValidation.Internal;
using FluentValidation.Validators;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;

namespace PayConnect.OpenApi;

/// <summary>
/// The components/schemas of the document: each request and response record (and each enum and nested record they
/// use) exported with System.Text.Json's <see cref="JsonSchemaExporter"/> from the same options the API reads and
/// writes with, then given its XML doc descriptions and its validator's limits.
/// </summary>
internal sealed class ContractSchemas(XmlDocs docs, Func<Type, IValidator?> validatorOf)
{
    public const string Prefix = "#/components/schemas/";

    private readonly Dictionary<Type, string> names = [];
    private readonly Dictionary<string, JsonObject> exported = new(StringComparer.Ordinal);
    private readonly Queue<Type> pending = new();

    /// <summary>A reference to the schema of <paramref name="type"/>, exported when <see cref="Components"/> is built.</summary>
    public JsonObject Ref(Type type) => new() { ["$ref"] = Prefix + Name(type) };

    /// <summary>A schema written by hand (for shapes that are not records, such as problem details).</summary>
    public void Add(string name, JsonObject schema) => exported[name] = schema;

    public JsonObject Components()
    {
        while (pending.TryDequeue(out var type))
        {
            exported[names[type]] = Export(type);
        }

        var components = new JsonObject();
        foreach (var (name, schema) in exported.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            components[name] = schema;
        }

        return components;
    }

    private string Name(Type type)
    {
        if (names.TryGetValue(type, out var name))
        {
            return name;
        }

        name = type.IsGenericType
            ? string.Concat(type.GetGenericArguments().Select(a => a.Name)) + type.Name.Split('`')[0]
            : type.Name;
        if (names.ContainsValue(name))
        {
            throw new InvalidOperationException($"Two contract types are both named {name}; rename one.");
        }

        names[type] = name;
        if (!exported.ContainsKey(name))
        {
            pending.Enqueue(type);
        }

        return name;
    }

    private JsonObject Export(Type type)
    {
        var node = ApiJson.Options.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Transform,
        }).AsObject();
        if (type.IsEnum)
        {
            node["type"] = "string";
            var values = Enum.GetNames(type).Select(n => docs.EnumValue(type, n) is { } doc ? $"{n}: {doc}" : null).OfType<string>().ToList();
            var summary = docs.Summary(type);
            var description = string.Join(" ", new[] { summary }.Concat(values).OfType<string>());
            if (description.Length > 0)
            {
                node["description"] = description;
            }
        }
        else if (docs.Summary(type) is { } summary)
        {
            node["description"] = summary;
        }

        return node;
    }

    private JsonNode Transform(JsonSchemaExporterContext context, JsonNode node)
    {
        var type = Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type;

        // Types with their own converters (NodaTime dates) come out without a type, so their nullability is read from
        // the CLR type (LocalDate?) or the property's annotation (RunApproval?), not from the exported node.
        var nullable = IsNullable(node)
            || Nullable.GetUnderlyingType(context.TypeInfo.Type) is not null
            || (context.PropertyInfo is { IsGetNullable: true } && !context.TypeInfo.Type.IsValueType);
        if (type == typeof(Instant) || type == typeof(LocalDate))
        {
            node = new JsonObject
            {
                ["type"] = nullable ? new JsonArray("string", "null") : "string",
                ["format"] = type == typeof(Instant) ? "date-time" : "date",
            };
        }
        else if (context.Path.Length > 0 && IsComponent(type))
        {
            node = nullable ? new JsonObject { ["anyOf"] = new JsonArray(Ref(type), new JsonObject { ["type"] = "null" }) } : Ref(type);
        }

        if (context.PropertyInfo is { DeclaringType: { } declaring } property && node is JsonObject schema)
        {
            var member = (property.AttributeProvider as MemberInfo)?.Name ?? property.Name;
            if (docs.Property(declaring, member) is { } description)
            {
                schema["description"] = description;
            }

            ApplyLimits(declaring, member, schema);
        }

        return node;
    }

    /// <summary>The limits the declaring type's validator puts on the property, as JSON Schema keywords.</summary>
    private void ApplyLimits(Type declaring, string member, JsonObject schema)
    {
        if (validatorOf(declaring) is not { } validator)
        {
            return;
        }

        foreach (var rule in validator.CreateDescriptor().GetRulesForMember(member))
        {
            var forEach = rule.GetType().GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ICollectionRule<,>));
            var target = forEach ? schema["items"] as JsonObject : schema;
            if (target is null)
            {
                continue;
            }

            foreach (var component in rule.Components)
            {
                Apply(component.Validator, target);
            }
        }
    }

    private static void Apply(IPropertyValidator validator, JsonObject schema)
    {
        switch (validator)
        {
            case ISchemaKeywords keywords:
                keywords.ApplyTo(schema);
                break;
            case ILengthValidator length:
                if (length.Min > 0)
                {
                    schema["minLength"] = length.Min;
                }

                if (length.Max > 0)
                {
                    schema["maxLength"] = length.Max;
                }

                break;
            case IBetweenValidator between:
                var exclusive = validator.Name.StartsWith("Exclusive", StringComparison.Ordinal);
                schema[exclusive ? "exclusiveMinimum" : "minimum"] = Number(between.From);
                schema[exclusive ? "exclusiveMaximum" : "maximum"] = Number(between.To);
                break;
            case IComparisonValidator { ValueToCompare: { } value } comparison:
                var keyword = comparison.Comparison switch
                {
                    Comparison.GreaterThan => "exclusiveMinimum",
                    Comparison.GreaterThanOrEqual => "minimum",
                    Comparison.LessThan => "exclusiveMaximum",
                    Comparison.LessThanOrEqual => "maximum",
                    _ => null,
                };
                if (keyword is not null)
                {
                    schema[keyword] = Number(value);
                }

                break;
            case IRegularExpressionValidator regex:
                schema["pattern"] = regex.Expression;
                break;
        }
    }

    private static JsonNode Number(object value) => JsonSerializer.SerializeToNode(value)!;

    private static bool IsNullable(JsonNode node) =>
        node is JsonObject o && ((o["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() == "null"))
            || (o["enum"] is JsonArray values && values.Any(v => v is null)));

    private static bool IsComponent(Type type) =>
        type.Namespace?.StartsWith("PayConnect", StringComparison.Ordinal) == true && (type.IsEnum || type.IsClass);
}
