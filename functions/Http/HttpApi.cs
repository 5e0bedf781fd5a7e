using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Functions.Http;

/// <summary>What a handler gets from a request once it is authenticated, scoped and parsed.</summary>
/// <param name="Caller">Who is calling.</param>
/// <param name="FirmId">The firm of the route (the caller's own).</param>
/// <param name="Body">The hand-read body of operations not yet converted to request records; null for typed ones.</param>
/// <param name="Paging">The page size and continuation of a listing.</param>
/// <param name="IfMatch">The one entity tag of If-Match; null when absent or *.</param>
/// <param name="Query">The query string.</param>
/// <param name="Parameters">The validated query record of operations with one (<see cref="HttpApi.HandleQuery{TQuery}"/>); otherwise null.</param>
public sealed record ApiRequest(Caller Caller, string FirmId, JsonBody? Body, Paging Paging, string? IfMatch, IQueryCollection Query, object? Parameters = null)
{
    /// <summary>The request's Idempotency-Key (creating POSTs only): a handler that calls out with a key of its own derives it from this one.</summary>
    public string? IdempotencyKey { get; init; }
}

/// <summary>
/// The one pipeline every HTTP function goes through: authenticate, keep the caller inside its firm (another
/// firm's records answer 404), check the role, read the body into its request record and validate it (or, for
/// operations not yet converted, parse it for the handler), read paging and <c>If-Match</c>, replay
/// <c>Idempotency-Key</c> repeats, and turn the handler's <see cref="ApiResult"/> into HTTP, errors as RFC 9457
/// problem details written by the framework's <see cref="IProblemDetailsService"/>.
/// </summary>
public sealed class HttpApi(CallerResolver callers, IRecordStore store, IClock clock, IServiceProvider services, ILogger<HttpApi> logger)
{
    public const int MaxBodyBytes = 256 * 1024;

    /// <summary>How long a request holding an Idempotency-Key may run before its key is free again (its process died).</summary>
    public static readonly Duration IdempotencyInProgressTimeout = Duration.FromMinutes(5);

    private delegate Task<object?> BodyReader(string text, FieldErrors errors, CancellationToken cancellationToken);

    private delegate Task<object?> QueryReader(IQueryCollection query, FieldErrors errors, CancellationToken cancellationToken);

    /// <summary>An operation without a body.</summary>
    public Task<IResult> Handle(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken) =>
        RunAsync(request, firmId, roles, null, idempotent: false, (r, _, c) => handler(r, c), cancellationToken);

    /// <summary>An operation whose body is the request record <typeparamref name="TRequest"/>, validated before the handler runs.</summary>
    public Task<IResult> Handle<TRequest>(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, TRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken)
        where TRequest : class =>
        RunAsync(request, firmId, roles, Typed<TRequest>(), idempotent: false, (r, body, c) => handler(r, (TRequest)body!, c), cancellationToken);

    /// <summary>A creating POST with a typed body: a repeat with the same <c>Idempotency-Key</c> returns the first result.</summary>
    public Task<IResult> HandleCreate<TRequest>(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, TRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken)
        where TRequest : class =>
        RunAsync(request, firmId, roles, Typed<TRequest>(), idempotent: true, (r, body, c) => handler(r, (TRequest)body!, c), cancellationToken);

    /// <summary>
    /// An operation without a body whose query parameters are the record <typeparamref name="TQuery"/>, bound from the
    /// query string and validated like a body (every parameter's error at once) before the handler runs.
    /// </summary>
    public Task<IResult> HandleQuery<TQuery>(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, TQuery, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken)
        where TQuery : class =>
        RunAsync(request, firmId, roles, null, idempotent: false, (r, _, c) => handler(r, (TQuery)r.Parameters!, c), cancellationToken, QueryOf<TQuery>());

    /// <summary>An operation not yet converted to a request record: the handler reads <see cref="ApiRequest.Body"/> itself.</summary>
    public Task<IResult> HandleWithBody(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken) =>
        RunAsync(request, firmId, roles, Untyped, idempotent: false, (r, _, c) => handler(r, c), cancellationToken);

    /// <summary>A creating POST not yet converted to a request record.</summary>
    public Task<IResult> HandleCreate(HttpRequest request, string firmId, string[] roles, Func<ApiRequest, CancellationToken, Task<ApiResult>> handler, CancellationToken cancellationToken) =>
        RunAsync(request, firmId, roles, Untyped, idempotent: true, (r, _, c) => handler(r, c), cancellationToken);

    /// <summary>An RFC 9457 problem, written through the framework's problem-details service.</summary>
    public static IResult Problem(HttpRequest request, int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal));
        problem.Type = ApiProblems.TypeOf(status);
        problem.Title = title;
        problem.Status = status;
        problem.Detail = detail;
        problem.Instance = request.Path.Value;
        return TypedResults.Problem(problem);
    }

    private static Task<object?> Untyped(string text, FieldErrors errors, CancellationToken cancellationToken) =>
        Task.FromResult<object?>(JsonBody.Parse(text, errors));

    private BodyReader Typed<TRequest>()
        where TRequest : class
    {
        var validator = services.GetService<IValidator<TRequest>>()
            ?? throw new InvalidOperationException($"No validator is registered for {typeof(TRequest).Name}; add a RequestValidator<{typeof(TRequest).Name}>.");
        return async (text, errors, ct) => await RequestReader.ReadAsync(text, validator, errors, ct);
    }

    private QueryReader QueryOf<TQuery>()
        where TQuery : class
    {
        var validator = services.GetService<IValidator<TQuery>>()
            ?? throw new InvalidOperationException($"No validator is registered for {typeof(TQuery).Name}; add a RequestValidator<{typeof(TQuery).Name}>.");
        return async (query, errors, ct) => await RequestReader.ReadQueryAsync(query.ToDictionary(q => q.Key, q => q.Value.ToArray(), StringComparer.OrdinalIgnoreCase), validator, errors, ct);
    }

    private async Task<IResult> RunAsync(
        HttpRequest request,
        string firmId,
        string[] roles,
        BodyReader? readBody,
        bool idempotent,
        Func<ApiRequest, object?, CancellationToken, Task<ApiResult>> handler,
        CancellationToken cancellationToken,
        QueryReader? readQuery = null)
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
        var ifMatch = ReadIfMatch(request, errors);
        var parameters = readQuery is null ? null : await readQuery(request.Query, errors, cancellationToken);
        string? bodyText = null;
        object? body = null;
        if (readBody is not null)
        {
            bodyText = await ReadBodyAsync(request, errors, cancellationToken);
            if (bodyText is not null)
            {
                body = await readBody(bodyText, errors, cancellationToken);
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

        var apiRequest = new ApiRequest(caller, firmId, body as JsonBody, paging!, ifMatch, request.Query, parameters) { IdempotencyKey = idempotencyKey.Length == 0 ? null : idempotencyKey };
        Func<ApiRequest, CancellationToken, Task<ApiResult>> bound = (r, c) => handler(r, body, c);
        if (idempotencyKey.Length == 0)
        {
            return await InvokeAsync(request, bound, apiRequest, cancellationToken);
        }

        return await WithIdempotencyAsync(request, firmId, idempotencyKey, bodyText ?? string.Empty, bound, apiRequest, cancellationToken);
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
        Stored<IdempotencyRecord>? claimed = null;
        try
        {
            var now = clock.GetCurrentInstant();
            if (existing is null)
            {
                claimed = await store.InsertAsync(firmId, new IdempotencyRecord(recordKey, requestHash, null, null, null, null, now), cancellationToken);
            }
            else if (existing.Value.Status is null && now - existing.Value.CreatedAt >= IdempotencyInProgressTimeout)
            {
                // The request that held the key never finished (its process died): the key is free again.
                logger.LogWarning("Taking over an Idempotency-Key on {Path} left in progress since {CreatedAt}", request.Path.Value, existing.Value.CreatedAt);
                claimed = await store.ReplaceAsync(firmId, new IdempotencyRecord(recordKey, requestHash, null, null, null, null, now), existing.ETag, cancellationToken);
            }
        }
        catch (ConcurrencyException)
        {
            // Another request with the same key claimed it first.
            existing = await store.GetAsync<IdempotencyRecord>(firmId, recordKey, cancellationToken);
        }

        if (claimed is not null)
        {
            try
            {
                var result = await handler(apiRequest, cancellationToken);
                if (result is ApiResult.Created or ApiResult.Ok or ApiResult.NoContent)
                {
                    var (status, createdAt, createdETag, json) = Describe(result);
                    await store.ReplaceAsync(firmId, claimed.Value with { Status = status, Location = createdAt, ETag = createdETag, Body = json }, claimed.ETag, cancellationToken);
                }
                else
                {
                    // A rejected request changed nothing, so the key may be used again once the input is fixed.
                    await store.DeleteAsync<IdempotencyRecord>(firmId, recordKey, claimed.ETag, cancellationToken);
                }

                return ToHttp(request, result);
            }
            catch
            {
                await ReleaseAsync(firmId, claimed);
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

    /// <summary>Frees a key whose request failed, unless another request has taken it over meanwhile.</summary>
    private async Task ReleaseAsync(string firmId, Stored<IdempotencyRecord> claimed)
    {
        try
        {
            await store.DeleteAsync<IdempotencyRecord>(firmId, claimed.Value.Key, claimed.ETag, CancellationToken.None);
        }
        catch (ConcurrencyException)
        {
            // Taken over after the in-progress timeout: the record is the other request's now.
        }
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

    /// <summary>Request and response records go out in the contract's JSON; bodies of operations not yet converted as before.</summary>
    private static JsonSerializerOptions JsonFor(object body) => ApiContract.IsContractType(body.GetType()) ? ApiJson.Options : RecordJson.Options;

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

                return Results.Json(ok.Body, JsonFor(ok.Body), "application/json", 200);
            case ApiResult.Created created:
                if (created.ETag is not null)
                {
                    headers.ETag = created.ETag;
                }

                headers.Location = created.Location;
                return Results.Json(created.Body, JsonFor(created.Body), "application/json", 201);
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
        ApiResult.Created c => (201, c.Location, c.ETag, JsonSerializer.Serialize(c.Body, JsonFor(c.Body))),
        ApiResult.Ok o => (200, null, o.ETag, JsonSerializer.Serialize(o.Body, JsonFor(o.Body))),
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

    /// <summary>
    /// The one entity tag of <c>If-Match</c> (null when absent or <c>*</c>). Anything else (no quotes, several tags)
    /// is a field error: the storage would otherwise refuse it with an error of its own.
    /// </summary>
    private static string? ReadIfMatch(HttpRequest request, FieldErrors errors)
    {
        var values = request.Headers.IfMatch;
        var value = values.ToString().Trim();
        if (values.Count == 0 || value.Length == 0 || value == "*")
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseStrictList(values, out var tags) || tags.Count != 1 || tags[0].Equals(EntityTagHeaderValue.Any))
        {
            errors.Add("If-Match", "Must be one entity tag as received in the ETag header (a quoted string such as \"abc\" or W/\"abc\"), or *.");
            return null;
        }

        return value;
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>The first result of a creating request, replayed for repeats of its Idempotency-Key.</summary>
public sealed record IdempotencyRecord(string Id, string RequestHash, int? Status, string? Location, string? ETag, string? Body, Instant CreatedAt) : IFirmRecord
{
    public static string Table => "Idempotency";

    public string Key => Id;
}
