using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PayConnect.Integration.Tests.Infrastructure;

/// <summary>
/// The checked-in OpenAPI document as a test oracle: every response a test receives from an HTTP function is
/// checked against the operation's documented statuses, media types and schemas (see <see cref="Client"/>).
/// </summary>
public static class ContractDocument
{
    private static readonly Lazy<JsonObject> Document = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "openapi.json")))!.AsObject());

    private static readonly Dictionary<string, JsonSchema> Compiled = new(StringComparer.Ordinal);

    public static JsonObject Root => Document.Value;

    /// <summary>The operation object of <paramref name="operationId"/>, or null.</summary>
    public static JsonObject? Operation(string operationId) =>
        Root["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => m.Value!.AsObject()))
            .FirstOrDefault(o => o["operationId"]!.GetValue<string>() == operationId);

    /// <summary>
    /// Fails the test when the response is not what the document says: an undocumented status (for operations with
    /// schemas), another media type, or a body its schema refuses.
    /// </summary>
    public static void Check(string operationId, HttpResponseData response)
    {
        var operation = Operation(operationId) ?? throw new InvalidOperationException($"{operationId} is not in functions/openapi.json.");
        var responses = operation["responses"]!.AsObject();
        var status = response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var documented = responses[status] ?? responses[status[0] + "XX"];
        var converted = !responses.ContainsKey("2XX");
        if (documented is null)
        {
            Assert.False(converted, $"{operationId} answered {response.Status}, which its OpenAPI description does not list: {response}");
            return;
        }

        if (documented["content"] is not JsonObject content)
        {
            // An operation not yet converted documents its success without a body; a converted one means none.
            Assert.True(!converted || string.IsNullOrEmpty(response.Body), $"{operationId} {status} is documented without a body but answered {response}");
            return;
        }

        var mediaType = (response.ContentType ?? string.Empty).Split(';')[0].Trim();
        var media = content[mediaType];
        Assert.True(media is not null, $"{operationId} {status} answered {mediaType}; documented: {string.Join(", ", content.Select(c => c.Key))}");
        if (media!["schema"] is JsonObject schema && mediaType != "text/html")
        {
            var errors = Validate(schema, JsonDocument.Parse(response.Body).RootElement);
            Assert.True(errors.Count == 0, $"{operationId} {status} does not match its schema: {string.Join("; ", errors)}\n{response.Body}");
        }
    }

    /// <summary>The problems of <paramref name="instance"/> against a schema of the document (its $refs resolved); empty when valid.</summary>
    public static IReadOnlyList<string> Validate(JsonObject schema, JsonElement instance)
    {
        var text = schema.ToJsonString();
        JsonSchema compiled;
        lock (Compiled)
        {
            if (!Compiled.TryGetValue(text, out compiled!))
            {
                var wrapper = JsonNode.Parse(text)!.AsObject();
                wrapper["$schema"] = "https://json-schema.org/draft/2020-12/schema";
                wrapper["$defs"] = Root["components"]!["schemas"]!.DeepClone();
                compiled = JsonSchema.FromText(wrapper.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal));
                Compiled[text] = compiled;
            }
        }

        var result = compiled.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).ToList();
    }
}
