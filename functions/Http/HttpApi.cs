using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Functions.Http;

/// <summary>What a handler gets from a request once it is authenticated, scoped and parsed.</summary>
public sealed record ApiRequest(Caller Caller, string FirmId, JsonBody? Body, Paging Paging, string? IfMatch, IQueryCollection Query);

/// <summary>
/// The one pipeline every HTTP function goes through: authenticate, keep the caller inside its firm (another
/// firm's records answer 404), check the role, parse body and paging into field errors, replay
/// <c>Idempotency-Key</c> repeats, and turn the handler's <see cref="ApiResult"/> into HTTP with RFC 9457
/// problem details.
/// </summary>
public sealed class HttpApi(CallerResolver callers, IRecordStore store, IClock clock, ILogger<HttpApi> logger)
{
    public const int MaxBodyBytes = 256 * 1024;
    private const string ProblemBase = "https://payconnect.dev/problems/";

    public Task<IResult> Handle(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken) =>
        RunAsync(request, firmId, roles, readBody: false, idempotent: false, handler, cancellationToken);

    public Task<IResult> HandleWithBody(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken) =>
        RunAsync(request, firmId, roles, readBody: true, idempotent: false, handler, cancellationToken);

    /// <summary>A creating POST: a repeat with the same <c>Idempotency-Key</c> returns the first result.</summary>
    public Task<IResult> HandleCreate(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken) =>
        RunAsync(request, firmId, roles, readBody: true, idempotent: true, handler, cancellationToken);

    public static IResult Problem(HttpRequest request, int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = ProblemBase + status switch
            {
                400 => "validation",
                401 => "unauthenticated",
                403 => "forbidden",
                404 => "not-found",
                409 => "conflict",
                412 => "precondition-failed",
                503 => "dependency-unavailable",
                _ => "error",
            },
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = request.Path.Value,
        };
        if (errors is not null)
        {
            body["errors"] = errors;
        }

        return Results.Json(body, RecordJson.Options, "application/problem+json", status);
    }

    private async Task<IResult> RunAsync(
        HttpRequest request,
        string firmId,
        string[] roles,
        bool readBody,
        bool idempotent,
        Func<ApiRequest, CancellationToken, Task<ApiResult>> handler,
        CancellationToken cancellationToken)
    {
        var resolution = callers.Resolve(request);
        if (resolution.Caller is not { } caller)
        {
            // Refused before the handler runs: nothing is read or changed.
            return Problem(request, 401, "Authentication required", resolution.Refusal ?? "The request carried no valid identity.");
        }

        if (!string.Equals(caller.FirmId, firmId, StringComparison.Ordinal))
        {
            // Never confirm that another firm exists, let alone show its data.
            return Problem(request, 404, "Not found", "No such resource.");
        }

        if (!roles.Any(caller.Roles.Contains))
        {
            return Problem(request, 403, "Forbidden", $"This needs one of the roles: {string.Join(", ", roles)}.");
        }

        var errors = new FieldErrors();
        var paging = ReadPaging(request, errors);
        string? bodyText = null;
        JsonBody? body = null;
        if (readBody)
        {
            bodyText = await ReadBodyAsync(request, errors, cancellationToken);
            if (bodyText is not null)
            {
                body = JsonBody.Parse(bodyText, errors);
            }
        }

        var idempotencyKey = idempotent ? request.Headers["Idempotency-Key"].ToString() : string.Empty;
        if (idempotencyKey.Length > 100)
        {
            errors.Add("Idempotency-Key", "Must be at most 100 characters.");
        }

        if (errors.Any)
        {
            return Problem(request, 400, "Invalid request", "The request has invalid fields.", errors.ToDictionary());
        }

        var apiRequest = new ApiRequest(caller, firmId, body, paging!, IfMatch(request), request.Query);
        if (idempotencyKey.Length == 0)
        {
            return await InvokeAsync(request, handler, apiRequest, cancellationToken);
        }

        return await WithIdempotencyAsync(request, firmId, idempotencyKey, bodyText ?? string.Empty, handler, apiRequest, cancellationToken);
    }

    private async Task<IResult> WithIdempotencyAsync(
        HttpRequest request,
        string firmId,
        string key,
        string bodyText,
        Func<ApiRequest, CancellationToken, Task<ApiResult>> handler,
        ApiRequest apiRequest,
        CancellationToken cancellationToken)
    {
        var recordKey = Hash(request.Method + " " + request.Path.Value + " " + key);
        var requestHash = Hash(bodyText);
        var existing = await store.GetAsync<IdempotencyRecord>(firmId, recordKey, cancellationToken);
        if (existing is null)
        {
            try
            {
                existing = await store.InsertAsync(firmId, new IdempotencyRecord(recordKey, requestHash, null, null, null, null, clock.GetCurrentInstant()), cancellationToken);
                var result = await handler(apiRequest, cancellationToken);
                if (result is ApiResult.Created or ApiResult.Ok or ApiResult.NoContent)
                {
                    var (status, createdAt, createdETag, json) = Describe(result);
                    await store.ReplaceAsync(firmId, existing.Value with { Status = status, Location = createdAt, ETag = createdETag, Body = json }, existing.ETag, cancellationToken);
                }
                else
                {
                    // A rejected request changed nothing, so the key may be used again once the input is fixed.
                    await store.DeleteAsync<IdempotencyRecord>(firmId, recordKey, existing.ETag, cancellationToken);
                }

                return ToHttp(request, result);
            }
            catch (ConcurrencyException)
            {
                existing = await store.GetAsync<IdempotencyRecord>(firmId, recordKey, cancellationToken);
            }
            catch
            {
                await store.DeleteAsync<IdempotencyRecord>(firmId, recordKey, null, CancellationToken.None);
                throw;
            }
        }

        if (existing is null || existing.Value.Status is null)
        {
            return Problem(request, 409, "Request in progress", "A request with this Idempotency-Key is still being processed; retry shortly.");
        }

        if (existing.Value.RequestHash != requestHash)
        {
            return Problem(request, 409, "Idempotency-Key reused", "This Idempotency-Key was used for a different request body.",
                FieldErrors.One("Idempotency-Key", "Already used with a different body.").ToDictionary());
        }

        logger.LogInformation("Replaying the first result for an Idempotency-Key on {Path}", request.Path.Value);
        if (existing.Value.Location is { } location)
        {
            request.HttpContext.Response.Headers.Location = location;
        }

        if (existing.Value.ETag is { } etag)
        {
            request.HttpContext.Response.Headers.ETag = etag;
        }

        request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
        return Results.Content(existing.Value.Body ?? string.Empty, "application/json", Encoding.UTF8, existing.Value.Status.Value);
    }

    private async Task<IResult> InvokeAsync(HttpRequest request, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, ApiRequest apiRequest, CancellationToken cancellationToken)
    {
        try
        {
            return ToHttp(request, await handler(apiRequest, cancellationToken));
        }
        catch (InvalidContinuationException)
        {
            return Problem(request, 400, "Invalid request", "The request has invalid fields.", FieldErrors.One("continuation", "Is not a continuation token this API issued.").ToDictionary());
        }
    }

    private static IResult ToHttp(HttpRequest request, ApiResult result)
    {
        var headers = request.HttpContext.Response.Headers;
        switch (result)
        {
            case ApiResult.Ok ok:
                if (ok.ETag is not null)
                {
                    headers.ETag = ok.ETag;
                }

                return Results.Json(ok.Body, RecordJson.Options, "application/json", 200);
            case ApiResult.Created created:
                if (created.ETag is not null)
                {
                    headers.ETag = created.ETag;
                }

                headers.Location = created.Location;
                return Results.Json(created.Body, RecordJson.Options, "application/json", 201);
            case ApiResult.NoContent:
                return Results.StatusCode(204);
            case ApiResult.NotFound notFound:
                return Problem(request, 404, "Not found", notFound.Detail);
            case ApiResult.Invalid invalid:
                return Problem(request, 400, "Invalid request", invalid.Detail, invalid.Errors.ToDictionary());
            case ApiResult.Conflict conflict:
                return Problem(request, 409, "Conflict", conflict.Detail, conflict.Errors?.ToDictionary());
            case ApiResult.PreconditionFailed stale:
                return Problem(request, 412, "Precondition failed", stale.Detail);
            case ApiResult.DependencyUnavailable unavailable:
                headers.RetryAfter = "30";
                return Problem(request, 503, "Dependency unavailable", unavailable.Detail);
            default:
                throw new InvalidOperationException($"Unhandled result {result.GetType().Name}.");
        }
    }

    private static (int Status, string? Location, string? ETag, string Json) Describe(ApiResult result) => result switch
    {
        ApiResult.Created c => (201, c.Location, c.ETag, JsonSerializer.Serialize(c.Body, RecordJson.Options)),
        ApiResult.Ok o => (200, null, o.ETag, JsonSerializer.Serialize(o.Body, RecordJson.Options)),
        _ => (204, null, null, string.Empty),
    };

    private static Paging? ReadPaging(HttpRequest request, FieldErrors errors)
    {
        var pageSize = Paging.DefaultPageSize;
        var sizeText = request.Query["pageSize"].ToString();
        if (sizeText.Length > 0 && (!int.TryParse(sizeText, out pageSize) || pageSize < 1 || pageSize > Paging.MaxPageSize))
        {
            errors.Add("pageSize", $"Must be a whole number from 1 to {Paging.MaxPageSize}.");
        }

        var continuation = request.Query["continuation"].ToString();
        if (continuation.Length > 2000)
        {
            errors.Add("continuation", "Is too long.");
        }

        return new Paging(pageSize, continuation.Length == 0 ? null : continuation);
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request, FieldErrors errors, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            errors.Add("body", $"Must be at most {MaxBodyBytes / 1024} KiB.");
            return null;
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        if (total > MaxBodyBytes)
        {
            errors.Add("body", $"Must be at most {MaxBodyBytes / 1024} KiB.");
            return null;
        }

        if (total == 0)
        {
            errors.Add("body", "A JSON body is required.");
            return null;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static string? IfMatch(HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString();
        return value.Length == 0 || value == "*" ? null : value;
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>The first result of a creating request, replayed for repeats of its Idempotency-Key.</summary>
public sealed record IdempotencyRecord(string Id, string RequestHash, int? Status, string? Location, string? ETag, string? Body, Instant CreatedAt) : IFirmRecord
{
    public static string Table => "Idempotency";

    public string Key => Id;
}
