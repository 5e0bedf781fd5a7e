using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace PayConnect.Integration.Tests.Infrastructure;

/// <summary>An executed HTTP function result: what the client would have received.</summary>
public sealed record HttpResponseData(int Status, IHeaderDictionary Headers, string Body)
{
    public JsonNode? Json => string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body);

    public string? ContentType => Headers.ContentType;

    public override string ToString() => $"{Status} {Body}";
}

public static class Responses
{
    /// <summary>Executes an IResult or IActionResult against the request's context and reads the response back.</summary>
    public static async Task<HttpResponseData> ReadAsync(object result, HttpRequest request)
    {
        var context = request.HttpContext;
        context.Response.Body = new MemoryStream();
        switch (result)
        {
            case IResult typed:
                await typed.ExecuteAsync(context);
                break;
            case IActionResult action:
                await action.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
                break;
            default:
                throw new InvalidOperationException($"Unexpected result type {result.GetType()}.");
        }

        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return new HttpResponseData(context.Response.StatusCode, context.Response.Headers, body);
    }
}
