using PayConnect.DevHost.Functions;
using Scalar.AspNetCore;

namespace PayConnect.DevHost.Development;

/// <summary>
/// The interactive API reference (Scalar) over the OpenAPI document the GetOpenApi function serves. The dev host
/// maps it itself, like the other development endpoints, so it exists only locally: the function app does not
/// reference Scalar and no function serves it.
/// </summary>
public static class ApiReference
{
    public const string Path = "/scalar";

    public static void MapApiReference(this IEndpointRouteBuilder endpoints, FunctionRouteTable table)
    {
        var prefix = table.RoutePrefix.Length == 0 ? string.Empty : "/" + table.RoutePrefix;
        endpoints.MapScalarApiReference(Path, options => options
            .WithTitle("PayConnect API (local)")
            .WithOpenApiRoutePattern(prefix + "/openapi.json"));
    }
}
