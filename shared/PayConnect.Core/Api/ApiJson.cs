using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;

namespace PayConnect.Api;

/// <summary>
/// The JSON of the HTTP contract: request and response records read and written with these options, and the
/// OpenAPI document's schemas exported with them, so the document describes exactly what goes over the wire.
/// </summary>
/// <remarks>
/// Strict where the stored-record options (<c>RecordJson</c>) are lenient: numbers are never read from strings,
/// enums are names only, a property may appear once, unknown properties are refused, non-nullable properties
/// must not be null and constructor parameters without a default are required. Nulls are written, so a
/// response always carries every property its schema lists.
/// </remarks>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Create(strict: true);

    /// <summary>
    /// The same shape without the required/nullable checks: used only to bind a body whose invalid properties
    /// <see cref="RequestReader"/> has already reported and removed, so the validator can still report the rest.
    /// </summary>
    internal static JsonSerializerOptions Lenient { get; } = Create(strict: false);

    private static JsonSerializerOptions Create(bool strict)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            NumberHandling = JsonNumberHandling.Strict,
            AllowDuplicateProperties = false,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = strict,
            RespectRequiredConstructorParameters = strict,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            MaxDepth = RequestReader.MaxDepth,
        };
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
