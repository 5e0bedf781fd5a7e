namespace PayConnect.Functions.Http;

/// <summary>The problem types (RFC 9457 <c>type</c>) the API answers with, by status.</summary>
public static class ApiProblems
{
    public const string Base = "https://payconnect.dev/problems/";

    public static readonly IReadOnlyDictionary<int, (string Slug, string Description)> ByStatus = new Dictionary<int, (string, string)>
    {
        [400] = ("validation", "The request has invalid fields (errors lists each field's messages), or an invalid body, query parameter or header."),
        [401] = ("unauthenticated", "The request carried no valid identity."),
        [403] = ("forbidden", "The caller lacks the role this operation needs."),
        [404] = ("not-found", "No such record, or it belongs to another firm."),
        [409] = ("conflict", "The request conflicts with the current state (a duplicate, a record in use, or an Idempotency-Key in progress or reused)."),
        [412] = ("precondition-failed", "If-Match does not match the record's current ETag: read it again and retry."),
        [503] = ("dependency-unavailable", "A system the operation depends on (the firm's MMS) did not answer; nothing was changed. Retry after Retry-After seconds."),
    };

    public static string TypeOf(int status) => Base + (ByStatus.TryGetValue(status, out var known) ? known.Slug : "error");
}
