using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace PayConnect.Functions.OpenApi;

/// <summary>Serves the checked-in OpenAPI 3 description (a test keeps it in step with the function routes).</summary>
public sealed class OpenApiFunction
{
    private static readonly Lazy<string> Document = new(() =>
    {
        using var stream = typeof(OpenApiFunction).Assembly.GetManifestResourceStream("PayConnect.Functions.openapi.json")
            ?? throw new InvalidOperationException("openapi.json is not embedded.");
        return new StreamReader(stream).ReadToEnd();
    });

    [Function("GetOpenApi")]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        Results.Text(Document.Value, "application/json");
}
