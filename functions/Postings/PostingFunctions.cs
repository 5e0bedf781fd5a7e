using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Http;
using PayConnect.Postings;

namespace PayConnect.Functions.Postings;

/// <summary>Manage Postings: list, mark posted or failed, retry, void, and the audit trail.</summary>
public sealed class PostingFunctions(HttpApi api, PostingHandlers postings)
{
    [Function("ListPostings")]
    public Task<IResult> ListPostings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/postings")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.ListAsync(r.FirmId, Query(r), r.Paging, c), ct);

    [Function("GetPosting")]
    public Task<IResult> GetPosting([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/postings/{postingId}")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.GetAsync(r.FirmId, postingId, c), ct);

    [Function("ListPostingAudit")]
    public Task<IResult> ListPostingAudit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/postings/{postingId}/audit")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.AuditAsync(r.FirmId, postingId, c), ct);

    [Function("MarkPostingPosted")]
    public Task<IResult> MarkPosted([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/mark-posted")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.MarkPostedAsync(r.FirmId, postingId, r.Caller.User, r.IfMatch, c), ct);

    [Function("MarkPostingFailed")]
    public Task<IResult> MarkFailed([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/mark-failed")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Sync, (r, c) => postings.MarkFailedAsync(r.FirmId, postingId, r.Body!, r.Caller.User, r.IfMatch, c), ct);

    [Function("RetryPosting")]
    public Task<IResult> Retry([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/retry")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.RetryAsync(r.FirmId, postingId, r.Caller.User, r.IfMatch, c), ct);

    [Function("VoidPosting")]
    public Task<IResult> Void([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/void")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Staff, (r, c) => postings.VoidAsync(r.FirmId, postingId, r.Body!, r.Caller.User, r.IfMatch, c), ct);

    private static PostingQuery Query(ApiRequest r) =>
        new(Text(r.Query["state"]), Text(r.Query["from"]), Text(r.Query["to"]), Text(r.Query["payerId"]), Text(r.Query["scheduleId"]));

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 ? null : value.ToString();
}
