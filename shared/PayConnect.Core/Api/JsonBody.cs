using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;

namespace PayConnect.Api;

/// <summary>
/// Reads a JSON request body field by field, collecting every problem as a field error instead of
/// stopping at the first (wrong types, missing fields, unknown enum names, out-of-range values).
/// </summary>
public sealed class JsonBody
{
    private readonly JsonObject _object;
    private readonly string _path;

    private JsonBody(JsonObject obj, string path, FieldErrors errors)
    {
        _object = obj;
        _path = path;
        Errors = errors;
    }

    public FieldErrors Errors { get; }

    /// <summary>Parses a body; null (with an error on <c>body</c>) when it is not a JSON object.</summary>
    public static JsonBody? Parse(string text, FieldErrors errors)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            errors.Add("body", "The body is not valid JSON.");
            return null;
        }

        if (node is not JsonObject obj)
        {
            errors.Add("body", "The body must be a JSON object.");
            return null;
        }

        return new JsonBody(obj, string.Empty, errors);
    }

    public static JsonBody Of(JsonObject obj, string path, FieldErrors errors) => new(obj, path, errors);

    public string PathOf(string name) => _path.Length == 0 ? name : _path + "." + name;

    public bool Has(string name) => _object.TryGetPropertyValue(name, out var v) && v is not null;

    public string? String(string name, bool required, int maxLength = 200, int minLength = 1)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            Errors.Add(PathOf(name), "Must be a string.");
            return null;
        }

        var text = value.GetValue<string>().Trim();
        if (text.Length < minLength)
        {
            Errors.Add(PathOf(name), minLength == 1 ? "Must not be empty." : $"Must be at least {minLength} characters.");
            return null;
        }

        if (text.Length > maxLength)
        {
            Errors.Add(PathOf(name), $"Must be at most {maxLength} characters.");
            return null;
        }

        return text;
    }

    public int? Int(string name, bool required, int min, int max)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var i))
        {
            if (i < min || i > max)
            {
                Errors.Add(PathOf(name), $"Must be between {min} and {max}.");
                return null;
            }

            return i;
        }

        Errors.Add(PathOf(name), "Must be a whole number.");
        return null;
    }

    public bool? Bool(string name, bool required)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>();
        }

        Errors.Add(PathOf(name), "Must be true or false.");
        return null;
    }

    /// <summary>A decimal amount in major units (e.g. 125.50), written as a JSON number or a numeric string.</summary>
    public decimal? Decimal(string name, bool required)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is JsonValue value)
        {
            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<decimal>(out var d))
            {
                return d;
            }

            if (value.GetValueKind() == JsonValueKind.String &&
                decimal.TryParse(value.GetValue<string>(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out d))
            {
                return d;
            }
        }

        Errors.Add(PathOf(name), "Must be a number.");
        return null;
    }

    public LocalDate? Date(string name, bool required)
    {
        var text = String(name, required, maxLength: 10);
        if (text is null)
        {
            return null;
        }

        var parsed = LocalDatePattern.Iso.Parse(text);
        if (!parsed.Success)
        {
            Errors.Add(PathOf(name), "Must be a date in the form yyyy-MM-dd.");
            return null;
        }

        return parsed.Value;
    }

    public TEnum? Enum<TEnum>(string name, bool required)
        where TEnum : struct, Enum
    {
        var text = String(name, required, maxLength: 64);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, out _) && System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && System.Enum.IsDefined(value))
        {
            return value;
        }

        Errors.Add(PathOf(name), $"Must be one of: {string.Join(", ", System.Enum.GetNames<TEnum>())}.");
        return null;
    }

    public JsonBody? Object(string name, bool required)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is JsonObject obj)
        {
            return new JsonBody(obj, PathOf(name), Errors);
        }

        Errors.Add(PathOf(name), "Must be an object.");
        return null;
    }

    /// <summary>An array of objects, each read by <paramref name="read"/> with its index in error paths.</summary>
    public List<T>? Array<T>(string name, bool required, int maxItems, Func<JsonBody, T?> read, int minItems = 1)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is not JsonArray array)
        {
            Errors.Add(PathOf(name), "Must be an array.");
            return null;
        }

        if (array.Count < minItems)
        {
            Errors.Add(PathOf(name), $"Must have at least {minItems} item(s).");
            return null;
        }

        if (array.Count > maxItems)
        {
            Errors.Add(PathOf(name), $"Must have at most {maxItems} items.");
            return null;
        }

        var items = new List<T>(array.Count);
        var ok = true;
        for (var i = 0; i < array.Count; i++)
        {
            var path = $"{PathOf(name)}[{i}]";
            if (array[i] is not JsonObject obj)
            {
                Errors.Add(path, "Must be an object.");
                ok = false;
                continue;
            }

            var before = Errors.Count;
            var item = read(new JsonBody(obj, path, Errors));
            if (item is null || Errors.Count != before)
            {
                ok = false;
                continue;
            }

            items.Add(item);
        }

        return ok ? items : null;
    }

    /// <summary>An array of strings.</summary>
    public List<string>? Strings(string name, bool required, int maxItems, int maxLength = 100, int minItems = 0)
    {
        if (!TryGet(name, required, out var node))
        {
            return null;
        }

        if (node is not JsonArray array)
        {
            Errors.Add(PathOf(name), "Must be an array of strings.");
            return null;
        }

        if (array.Count < minItems || array.Count > maxItems)
        {
            Errors.Add(PathOf(name), $"Must have between {minItems} and {maxItems} items.");
            return null;
        }

        var result = new List<string>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s && s.Length <= maxLength)
            {
                result.Add(s.Trim());
            }
            else
            {
                Errors.Add($"{PathOf(name)}[{i}]", $"Must be a non-empty string of at most {maxLength} characters.");
            }
        }

        return result.Count == array.Count ? result : null;
    }

    private bool TryGet(string name, bool required, out JsonNode node)
    {
        node = null!;
        if (!_object.TryGetPropertyValue(name, out var found) || found is null)
        {
            if (required)
            {
                Errors.Add(PathOf(name), "Is required.");
            }

            return false;
        }

        node = found;
        return true;
    }
}
