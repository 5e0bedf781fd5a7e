namespace PayConnect.Api;

/// <summary>Field-level validation messages keyed by JSON path (e.g. <c>amountRule.cap</c>, <c>items[3].invoiceNumber</c>).</summary>
public sealed class FieldErrors
{
    private readonly SortedDictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public int Count => _errors.Values.Sum(v => v.Count);

    public IReadOnlyDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    public FieldErrors Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
        return this;
    }

    public static FieldErrors One(string field, string message) => new FieldErrors().Add(field, message);
}

/// <summary>The outcome of an API handler, free of any HTTP framework type.</summary>
public abstract record ApiResult
{
    private ApiResult()
    {
    }

    public sealed record Ok(object Body, string? ETag = null) : ApiResult;

    public sealed record Created(string Location, object Body, string? ETag = null) : ApiResult;

    public sealed record NoContent : ApiResult;

    public sealed record NotFound(string Detail) : ApiResult;

    public sealed record Invalid(FieldErrors Errors, string Detail = "The request has invalid fields.") : ApiResult;

    public sealed record Conflict(string Detail, FieldErrors? Errors = null) : ApiResult;

    public sealed record PreconditionFailed(string Detail) : ApiResult;

    /// <summary>A system we depend on (the firm's MMS) did not answer; nothing was changed, try again later.</summary>
    public sealed record DependencyUnavailable(string Detail) : ApiResult;

    public static ApiResult NotFoundOf(string what, string id) => new NotFound($"{what} '{id}' was not found.");

    public static ApiResult StaleETag() => new PreconditionFailed("The record changed since it was read (If-Match does not match its ETag). Read it again and retry.");
}
