using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using FluentValidation;
using NodaTime.Text;

namespace PayConnect.Api;

/// <summary>
/// Turns a JSON body into a request record and validates it, reporting every problem as a field error at once:
/// a property given twice, a wrong JSON type, an unknown enum name, a missing required property, an unknown
/// property, and then everything the request's validator finds. Strings are trimmed.
/// </summary>
/// <remarks>
/// System.Text.Json alone stops at the first problem; this reader first checks the body against the record's
/// own JSON contract (the same metadata the OpenAPI schemas are exported from), reports and removes what does
/// not fit, binds the rest and runs the validator on it. When the body had such problems, only validator errors
/// on properties that were present and well-typed are reported, so a bad <c>kind</c> does not also produce
/// errors that only a guessed kind would cause.
/// </remarks>
public static class RequestReader
{
    public const int MaxDepth = 16;

    private static readonly HashSet<string> CardDataNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "cardNumber", "number", "pan", "cvv", "cvv2", "cvc", "cvc2", "securityCode", "accountNumber",
    };

    /// <summary>The request, or null when the body has errors (all of them added to <paramref name="errors"/>).</summary>
    public static async Task<T?> ReadAsync<T>(string text, IValidator<T> validator, FieldErrors errors, CancellationToken cancellationToken)
        where T : class
    {
        var before = errors.Count;
        var request = Bind<T>(text, errors, out var wellTyped);
        if (request is null)
        {
            return null;
        }

        var hadErrors = errors.Count > before;
        var result = await validator.ValidateAsync(request, cancellationToken);
        foreach (var failure in result.Errors)
        {
            var path = JsonPath(failure.PropertyName);
            if (!hadErrors || wellTyped.Contains(path))
            {
                errors.Add(path, failure.ErrorMessage);
            }
        }

        return errors.Any ? null : request;
    }

    /// <summary>Binds without validating; null when nothing could be bound.</summary>
    private static T? Bind<T>(string text, FieldErrors errors, out IReadOnlySet<string> wellTyped)
        where T : class
    {
        var before = errors.Count;
        var present = new HashSet<string>(StringComparer.Ordinal);
        wellTyped = present;
        JsonNode? root;
        try
        {
            using (var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = MaxDepth }))
            {
                if (ReportDuplicates(document.RootElement, string.Empty, errors))
                {
                    return null;
                }
            }

            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            errors.Add("body", "The body is not valid JSON.");
            return null;
        }

        if (root is not JsonObject)
        {
            errors.Add("body", "The body must be a JSON object.");
            return null;
        }

        Check(ref root, typeof(T), string.Empty, errors, present, allowNull: false);

        try
        {
            return root.Deserialize<T>(errors.Count > before ? ApiJson.Lenient : ApiJson.Options);
        }
        catch (JsonException ex)
        {
            // Only reachable through a type the contract check does not know; say where, never echo the value.
            errors.Add(string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : JsonPath(ex.Path.TrimStart('$', '.')), "Has an invalid value.");
            return null;
        }
    }

    /// <summary>
    /// A validator property chain (<c>Items[0].Level</c>) as the JSON path the body uses (<c>items[0].level</c>).
    /// </summary>
    public static string JsonPath(string propertyChain)
    {
        if (string.IsNullOrEmpty(propertyChain))
        {
            return "body";
        }

        var segments = propertyChain.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            segments[i] = s.Length > 0 && char.IsUpper(s[0]) && !s.Contains('-', StringComparison.Ordinal) ? char.ToLowerInvariant(s[0]) + s[1..] : s;
        }

        return string.Join('.', segments);
    }

    private static bool ReportDuplicates(JsonElement element, string path, FieldErrors errors)
    {
        var found = false;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // Case-insensitive, like the binding: {"name":..,"Name":..} would be two values for one field.
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in element.EnumerateObject())
                {
                    var child = Join(path, property.Name);
                    if (!seen.Add(property.Name))
                    {
                        errors.Add(child, "Appears more than once; send each property once.");
                        found = true;
                        continue;
                    }

                    found |= ReportDuplicates(property.Value, child, errors);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    found |= ReportDuplicates(item, $"{path}[{i++}]", errors);
                }

                break;
        }

        return found;
    }

    private enum Fit
    {
        /// <summary>The value fits the contract.</summary>
        Valid,

        /// <summary>An object some of whose properties did not fit; they were reported and removed, the rest binds.</summary>
        Partial,

        /// <summary>The value does not fit; reported, and the caller removes it.</summary>
        Invalid,
    }

    /// <summary>Checks (and normalizes) one value against the contract of <paramref name="type"/>.</summary>
    private static Fit Check(ref JsonNode? node, Type type, string path, FieldErrors errors, HashSet<string> wellTyped, bool allowNull)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            type = underlying;
            allowNull = true;
        }

        if (node is null)
        {
            if (allowNull)
            {
                wellTyped.Add(PathOrBody(path));
                return Fit.Valid;
            }

            return Fail(errors, path, "Must not be null.");
        }

        var fit = type switch
        {
            _ when type == typeof(string) => CheckString(ref node, path, errors),
            _ when type == typeof(bool) => Expect(node, JsonValueKind.True, JsonValueKind.False) ? Fit.Valid : Fail(errors, path, "Must be true or false."),
            _ when type == typeof(int) => Whole(node, int.MinValue, int.MaxValue) ? Fit.Valid : Fail(errors, path, "Must be a whole number."),
            _ when type == typeof(long) => Whole(node, long.MinValue, long.MaxValue) ? Fit.Valid : Fail(errors, path, "Must be a whole number."),
            _ when type == typeof(decimal) || type == typeof(double) => Expect(node, JsonValueKind.Number) ? Fit.Valid : Fail(errors, path, "Must be a number."),
            _ when type.IsEnum => CheckEnum(ref node, type, path, errors),
            _ when type == typeof(NodaTime.LocalDate) => Parses(node, LocalDatePattern.Iso) ? Fit.Valid : Fail(errors, path, "Must be a date in the form yyyy-MM-dd."),
            _ when type == typeof(NodaTime.Instant) => Parses(node, InstantPattern.ExtendedIso) ? Fit.Valid : Fail(errors, path, "Must be an instant in the form 2026-03-02T15:00:00Z."),
            _ => CheckComposite(node, type, path, errors, wellTyped),
        };
        if (fit == Fit.Valid)
        {
            wellTyped.Add(PathOrBody(path));
        }

        return fit;
    }

    private static Fit CheckComposite(JsonNode node, Type type, string path, FieldErrors errors, HashSet<string> wellTyped)
    {
        var info = ApiJson.Options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                return CheckObject(node, info, path, errors, wellTyped);
            case JsonTypeInfoKind.Enumerable:
                if (node is not JsonArray array)
                {
                    return Fail(errors, path, "Must be an array.");
                }

                var items = Fit.Valid;
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    var fit = Check(ref item, info.ElementType!, $"{path}[{i}]", errors, wellTyped, allowNull: false);
                    if (fit != Fit.Invalid && !ReferenceEquals(item, array[i]))
                    {
                        array[i] = Detach(item);
                    }

                    items = Worst(items, fit);
                }

                // An item that cannot bind takes the whole array out (removing it alone would shift the indices).
                return items;
            case JsonTypeInfoKind.Dictionary:
                if (node is not JsonObject map)
                {
                    return Fail(errors, path, "Must be an object.");
                }

                var values = Fit.Valid;
                foreach (var (key, value) in map.ToList())
                {
                    var child = value;
                    var fit = Check(ref child, info.ElementType!, Join(path, key), errors, wellTyped, allowNull: false);
                    if (fit != Fit.Invalid)
                    {
                        map[key] = Detach(child);
                    }

                    values = Worst(values, fit);
                }

                return values;
            default:
                // A type with its own converter: System.Text.Json decides when binding.
                return Fit.Valid;
        }
    }

    private static Fit CheckObject(JsonNode node, JsonTypeInfo info, string path, FieldErrors errors, HashSet<string> wellTyped)
    {
        if (node is not JsonObject obj)
        {
            return Fail(errors, path, "Must be an object.");
        }

        var properties = info.Properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        var given = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var fit = Fit.Valid;
        foreach (var (name, value) in obj.ToList())
        {
            if (!properties.TryGetValue(name, out var property))
            {
                errors.Add(Join(path, name), CardDataNames.Contains(name)
                    ? "Card numbers and security codes are never accepted; send the gateway's token."
                    : "Is not a field of this request.");
                obj.Remove(name);
                fit = Fit.Partial;
                continue;
            }

            given.Add(property.Name);
            var child = value;
            var childPath = Join(path, property.Name);
            var childFit = child is null && !property.IsSetNullable && property.IsRequired
                ? Fail(errors, childPath, "Is required.")
                : Check(ref child, property.PropertyType, childPath, errors, wellTyped, property.IsSetNullable);
            if (childFit == Fit.Invalid)
            {
                obj.Remove(name);
                fit = Fit.Partial;
            }
            else
            {
                if (!ReferenceEquals(child, value))
                {
                    obj[name] = Detach(child);
                }

                fit = Worst(fit, childFit);
            }
        }

        foreach (var property in info.Properties.Where(p => p.IsRequired && !given.Contains(p.Name)))
        {
            errors.Add(Join(path, property.Name), "Is required.");
            fit = Fit.Partial;
        }

        return fit;
    }

    private static Fit Worst(Fit a, Fit b) => (Fit)Math.Max((int)a, (int)b);

    private static Fit CheckString(ref JsonNode node, string path, FieldErrors errors)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return Fail(errors, path, "Must be a string.");
        }

        node = JsonValue.Create(value.GetValue<string>().Trim());
        return Fit.Valid;
    }

    private static Fit CheckEnum(ref JsonNode node, Type type, string path, FieldErrors errors)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var text = value.GetValue<string>().Trim();
            var name = Enum.GetNames(type).FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (name is not null)
            {
                node = JsonValue.Create(name);
                return Fit.Valid;
            }
        }

        return Fail(errors, path, $"Must be one of: {string.Join(", ", Enum.GetNames(type))}.");
    }

    private static bool Expect(JsonNode node, params JsonValueKind[] kinds) => node is JsonValue value && kinds.Contains(value.GetValueKind());

    private static bool Whole(JsonNode node, long min, long max) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var n) && n >= min && n <= max;

    private static bool Parses<TValue>(JsonNode node, IPattern<TValue> pattern) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String && pattern.Parse(value.GetValue<string>()).Success;

    private static Fit Fail(FieldErrors errors, string path, string message)
    {
        errors.Add(PathOrBody(path), message);
        return Fit.Invalid;
    }

    private static JsonNode? Detach(JsonNode? node) => node?.Parent is null ? node : node.DeepClone();

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string PathOrBody(string path) => path.Length == 0 ? "body" : path;
}
