using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Postings;

/// <summary>
/// Manage Postings (SPEC §2, "Manage Postings"): list by state, run date range, payer and schedule; mark posted or
/// failed; retry a failed posting; void with a reason. Every change is ETag-checked and appends to the posting's
/// audit trail in the same write.
/// </summary>
public sealed class PostingHandlers(IRecordStore store, IClock clock)
{
    public async Task<ApiResult> ListAsync(string firmId, ListPostingsQuery query, Paging paging, CancellationToken ct)
    {
        var page = await store.ListAsync<Posting>(firmId, Posting.KeyPrefix, paging.PageSize, paging.Continuation, p =>
            (query.State is null || p.State == query.State)
            && (query.From is null || p.RunDate >= query.From)
            && (query.To is null || p.RunDate <= query.To)
            && (query.PayerId is null || p.PayerId == query.PayerId)
            && (query.ScheduleId is null || p.ScheduleId == query.ScheduleId), ct);
        return new ApiResult.Ok(Page<PostingResponse>.From(page, PostingResponse.From));
    }

    public async Task<ApiResult> GetAsync(string firmId, string postingId, CancellationToken ct)
    {
        var posting = await FindAsync(firmId, postingId, ct);
        return posting is null ? ApiResult.NotFoundOf("Posting", postingId) : new ApiResult.Ok(PostingResponse.From(posting.Value), posting.ETag);
    }

    public async Task<ApiResult> AuditAsync(string firmId, string postingId, CancellationToken ct)
    {
        var posting = await FindAsync(firmId, postingId, ct);
        return posting is null ? ApiResult.NotFoundOf("Posting", postingId) : new ApiResult.Ok(new PostingAuditListResponse(posting.Value.Audit.Select(PostingAuditResponse.Of).ToList()));
    }

    /// <summary>The MMS now reflects the payment: Pending (or Failed) → Posted.</summary>
    public Task<ApiResult> MarkPostedAsync(string firmId, string postingId, string by, string? ifMatch, CancellationToken ct) =>
        ChangeAsync(firmId, postingId, ifMatch, "MarkPosted", PostingState.Posted, [PostingState.Pending, PostingState.Failed], by, null, ct);

    /// <summary>Posting it to the MMS failed: Pending → Failed, with the reason.</summary>
    public Task<ApiResult> MarkFailedAsync(string firmId, string postingId, MarkPostingFailedRequest body, string by, string? ifMatch, CancellationToken ct) =>
        ChangeAsync(firmId, postingId, ifMatch, "MarkFailed", PostingState.Failed, [PostingState.Pending], by, body.Reason, ct);

    /// <summary>Try a failed posting again: Failed → Pending.</summary>
    public Task<ApiResult> RetryAsync(string firmId, string postingId, string by, string? ifMatch, CancellationToken ct) =>
        ChangeAsync(firmId, postingId, ifMatch, "Retry", PostingState.Pending, [PostingState.Failed], by, null, ct);

    /// <summary>Void with a required reason (at most 250 characters). Voided is final.</summary>
    public Task<ApiResult> VoidAsync(string firmId, string postingId, VoidPostingRequest body, string by, string? ifMatch, CancellationToken ct) =>
        ChangeAsync(firmId, postingId, ifMatch, "Void", PostingState.Voided, [PostingState.Pending, PostingState.Failed, PostingState.Posted], by, body.Reason, ct);

    private async Task<ApiResult> ChangeAsync(
        string firmId, string postingId, string? ifMatch, string action, PostingState to, PostingState[] allowedFrom, string by, string? reason, CancellationToken ct)
    {
        var posting = await FindAsync(firmId, postingId, ct);
        if (posting is null)
        {
            return ApiResult.NotFoundOf("Posting", postingId);
        }

        if (ifMatch is not null && ifMatch != posting.ETag)
        {
            return ApiResult.StaleETag();
        }

        if (!allowedFrom.Contains(posting.Value.State))
        {
            return new ApiResult.Conflict(
                $"A {posting.Value.State} posting cannot be changed by {action}; it must be {string.Join(" or ", allowedFrom)}.",
                FieldErrors.One("state", $"Is {posting.Value.State}."));
        }

        try
        {
            var stored = await store.ReplaceAsync(firmId, posting.Value.Change(action, to, by, clock.GetCurrentInstant(), reason), posting.ETag, ct);
            return new ApiResult.Ok(PostingResponse.From(stored.Value), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    private async Task<Stored<Posting>?> FindAsync(string firmId, string postingId, CancellationToken ct) =>
        postingId.Length is > 0 and <= 400 ? await store.GetAsync<Posting>(firmId, Posting.KeyOf(postingId), ct) : null;
}
