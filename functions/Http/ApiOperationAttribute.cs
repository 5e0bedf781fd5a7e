namespace PayConnect.Functions.Http;

/// <summary>
/// The contract of one HTTP function, for the OpenAPI document (tools/PayConnect.OpenApi): who may call it, its
/// request and response records, and the headers it honours. Route, method and operation id come from the
/// function's own <c>[Function]</c> and <c>[HttpTrigger]</c>; the summary from its XML doc comment.
/// </summary>
/// <remarks>
/// An HTTP function without this attribute is still listed, with its path parameters and problem responses but no
/// schemas. Contract tests keep the attribute honest: every documented role is checked against the 403 the
/// pipeline gives, and every example request is sent to the function and its response checked against the schema.
/// </remarks>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ApiOperationAttribute(params string[] roles) : Attribute
{
    /// <summary>The roles that may call the operation (the same list the function passes to <see cref="HttpApi"/>).</summary>
    public IReadOnlyList<string> Roles { get; } = roles;

    /// <summary>The body's request record, if the operation takes one.</summary>
    public Type? Request { get; set; }

    /// <summary>The query parameters' record, if the operation takes any besides paging (each property is one parameter).</summary>
    public Type? Query { get; set; }

    /// <summary>
    /// The success body's response record; none means 204 No Content. A <c>Page&lt;T&gt;</c> response adds the paging
    /// query parameters.
    /// </summary>
    public Type? Response { get; set; }

    /// <summary>The success status; 0 means 201 for a creating POST (<see cref="Idempotent"/>), 204 without a response, else 200.</summary>
    public int Status { get; set; }

    /// <summary>The operation honours <c>If-Match</c> (412 when stale).</summary>
    public bool IfMatch { get; set; }

    /// <summary>The success response carries the record's <c>ETag</c>.</summary>
    public bool ETag { get; set; }

    /// <summary>A creating POST that replays its first result for a repeated <c>Idempotency-Key</c>.</summary>
    public bool Idempotent { get; set; }

    /// <summary>Problem statuses the operation can answer besides 400, 401, 403 and 404 (for example 409, 503).</summary>
    public int[] Problems { get; set; } = [];

    /// <summary>Other statuses whose body is the same response record (health answers 503 with its report).</summary>
    public int[] AlsoStatuses { get; set; } = [];

    /// <summary>The operation needs no identity (health, the document itself).</summary>
    public bool Anonymous { get; set; }

    /// <summary>The operation answers an HTML page for a person (the unsubscribe link), not JSON.</summary>
    public bool Html { get; set; }
}
