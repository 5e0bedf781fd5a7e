using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Postings;

namespace PayConnect.Functions.Postings;

/// <summary>Manage Postings: list, mark posted or failed, retry, void, and the audit trail.</summary>
public sealed class PostingFunctions(HttpApi api, PostingHandlers postings)
{
    /// <summary>Lists the firm's postings, filtered by state, run date range, payer and schedule.</summary>
    [Function("ListPostings")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Query = typeof(ListPostingsQuery), Response = typeof(Page<PostingResponse>))]
    public Task<IResult> ListPostings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/postings")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleQuery<ListPostingsQuery>(req, firmId, Roles.Staff, (r, query, c) => postings.ListAsync(r.FirmId, query, r.Paging, c), ct);

    /// <summary>Reads one posting.</summary>
    [Function("GetPosting")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(PostingResponse), ETag = true)]
    public Task<IResult> GetPosting([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/postings/{postingId}")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.GetAsync(r.FirmId, postingId, c), ct);

    /// <summary>Lists every change of a posting: who, when, from which state to which, and why.</summary>
    [Function("ListPostingAudit")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(PostingAuditListResponse))]
    public Task<IResult> ListPostingAudit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/postings/{postingId}/audit")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.AuditAsync(r.FirmId, postingId, c), ct);

    /// <summary>Marks a pending or failed posting posted: the firm's books (the MMS) now show the payment.</summary>
    [Function("MarkPostingPosted")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(PostingResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> MarkPosted([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/mark-posted")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.MarkPostedAsync(r.FirmId, postingId, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Marks a pending posting failed, with the reason posting it to the MMS failed.</summary>
    [Function("MarkPostingFailed")]
    [ApiOperation(Roles.FirmAdmin, Roles.MmsSync, Request = typeof(MarkPostingFailedRequest), Response = typeof(PostingResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> MarkFailed([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/mark-failed")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle<MarkPostingFailedRequest>(req, firmId, Roles.Sync, (r, body, c) => postings.MarkFailedAsync(r.FirmId, postingId, body, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Tries a failed posting again: it is pending once more.</summary>
    [Function("RetryPosting")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(PostingResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Retry([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/retry")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => postings.RetryAsync(r.FirmId, postingId, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Voids a posting with a reason; voided is final.</summary>
    [Function("VoidPosting")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(VoidPostingRequest), Response = typeof(PostingResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Void([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/postings/{postingId}/void")] HttpRequest req, string firmId, string postingId, CancellationToken ct) =>
        api.Handle<VoidPostingRequest>(req, firmId, Roles.Staff, (r, body, c) => postings.VoidAsync(r.FirmId, postingId, body, r.Caller.User, r.IfMatch, c), ct);
}
