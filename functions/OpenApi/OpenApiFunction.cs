using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.OpenApi;

/// <summary>
/// Serves the OpenAPI document, generated from the functions and their request and response records by
/// tools/PayConnect.OpenApi and checked in (a test fails when it is stale). Only the document: the interactive
/// reference is the dev host's, never served from Azure.
/// </summary>
public sealed class OpenApiFunction
{
    private static readonly Lazy<string> Document = new(() =>
    {
        using var stream = typeof(OpenApiFunction).Assembly.GetManifestResourceStream("PayConnect.Functions.openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded.");
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>This API's OpenAPI 3.1 document.</summary>
    [Function("GetOpenApi")]
    [ApiOperation(Anonymous = true, Response = typeof(OpenApiDocumentResponse))]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        Results.Text(Document.Value, "application/json");
}

/// <summary>An OpenAPI 3.1 document (described by its own specification, not repeated here).</summary>
public sealed record OpenApiDocumentResponse;
