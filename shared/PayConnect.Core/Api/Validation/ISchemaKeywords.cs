using System.Text.Json.Nodes;

namespace PayConnect.Api.Validation;

/// <summary>
/// A validation rule that is also a JSON Schema limit: the OpenAPI generator calls <see cref="ApplyTo"/> on the
/// schema of the property the rule validates (built-in length, range and pattern rules are read directly).
/// </summary>
public interface ISchemaKeywords
{
    void ApplyTo(JsonObject schema);
}
