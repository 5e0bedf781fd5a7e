using NodaTime;
using NodaTime.Text;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Postings;

/// <summary>The list filters of Manage Postings, as the query string gave them (validated by the handler).</summary>
public sealed record PostingQuery(string? State, string? From, string? To, string? PayerId, string? ScheduleId);

/// <summary>
/// Manage Postings (SPEC §2, "Manage Postings"): list by state, run date range, payer and schedule; mark posted or
/// failed; retry a failed posting; void with a reason. Every change is ETag-checked and appends to the posting's
/// audit trail in the same write.
/// </summary>
public sealed class PostingHandlers(IRecordStore store, IClock clock)
{
    public async Task<ApiResult> ListAsync(string firmId, PostingQuery query, Paging paging, CancellationToken ct)
    {
        var errors = new FieldErrors();
        PostingState? state = null;
        if (!string.IsNullOrEmpty(query.State))
        {
            if (!int.TryParse(query.State, out _) && Enum.TryParse<PostingState>(query.State, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
            {
                state = parsed;
            }
            else
            {
                errors.Add("state", $"Must be one of: {string.Join(", ", Enum.GetNames<PostingState>())}.");
            }
        }

        var from = Date(query.From, "from", errors);
        var to = Date(query.To, "to", errors);
        if (from is not null && to is not null && from > to)
        {
            errors.Add("to", "Must not be before 'from'.");
        }

        foreach (var (name, value) in new[] { ("payerId", query.PayerId), ("scheduleId", query.ScheduleId) })
        {
            if (!string.IsNullOrEmpty(value) && !Ids.IsWellFormed(value))
            {
                errors.Add(name, "Is not a valid id.");
            }
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        var payerId = string.IsNullOrEmpty(query.PayerId) ? null : query.PayerId;
        var scheduleId = string.IsNullOrEmpty(query.ScheduleId) ? null : query.ScheduleId;
        var page = await store.ListAsync<Posting>(firmId, Posting.KeyPrefix, paging.PageSize, paging.Continuation, p =>
            (state is null || p.State == state)
            && (from is null || p.RunDate >= from)
            && (to is null || p.RunDate <= to)
            && (payerId is null || p.PayerId == payerId)
            && (scheduleId is null || p.ScheduleId == scheduleId), ct);
        return new ApiResult.Ok(Paging.Body(page));
    }

    public async Task<ApiResult> GetAsync(string firmId, string postingId, CancellationToken ct)
    {
        var posting = await FindAsync(firmId, postingId, ct);
        return posting is null ? ApiResult.NotFoundOf("Posting", postingId) : new ApiResult.Ok(posting.Value, posting.ETag);
    }

    public async Task<ApiResult> AuditAsync(string firmId, string postingId, CancellationToken ct)
    {
        var posting = await FindAsync(firmId, postingId, ct);
        return posting is null ? ApiResult.NotFoundOf("Posting", postingId) : new ApiResult.Ok(new { items = posting.Value.Audit });
    }

    /// <summary>The MMS now reflects the payment: Pending (or Failed) → Posted.</summary>
    public Task<ApiResult> MarkPostedAsync(string firmId, string postingId, string by, string? ifMatch, CancellationToken ct) =>
        ChangeAsync(firmId, postingId, ifMatch, "MarkPosted", PostingState.Posted, [PostingState.Pending, PostingState.Failed], by, null, ct);

    /// <summary>Posting it to the MMS failed: Pending → Failed, with the reason.</summary>
    public Task<ApiResult> MarkFailedAsync(string firmId, string postingId, JsonBody body, string by, string? ifMatch, CancellationToken ct)
    {
        var reason = body.String("reason", required: true, maxLength: Posting.MaxReasonLength);
        return body.Errors.Any
            ? Task.FromResult<ApiResult>(new ApiResult.Invalid(body.Errors))
            : ChangeAsync(firmId, postingId, ifMatch, "MarkFailed", PostingState.Failed, [PostingState.Pending], by, reason, ct);
    }

    /// <summary>Try a failed posting again: Failed → Pending.</summary>
    public Task<ApiResult> RetryAsync(string firmId, string postingId, string by, string? ifMatch, CancellationToken ct) =>
        ChangeAsync(firmId, postingId, ifMatch, "Retry", PostingState.Pending, [PostingState.Failed], by, null, ct);

    /// <summary>Void with a required reason (at most 250 characters). Voided is final.</summary>
    public Task<ApiResult> VoidAsync(string firmId, string postingId, JsonBody body, string by, string? ifMatch, CancellationToken ct)
    {
        var reason = body.String("reason", required: true, maxLength: Posting.MaxReasonLength);
        return body.Errors.Any
            ? Task.FromResult<ApiResult>(new ApiResult.Invalid(body.Errors))
            : ChangeAsync(firmId, postingId, ifMatch, "Void", PostingState.Voided, [PostingState.Pending, PostingState.Failed, PostingState.Posted], by, reason, ct);
    }

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
            return new ApiResult.Ok(stored.Value, stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    private async Task<Stored<Posting>?> FindAsync(string firmId, string postingId, CancellationToken ct) =>
        postingId.Length is > 0 and <= 400 ? await store.GetAsync<Posting>(firmId, Posting.KeyOf(postingId), ct) : null;

    private static LocalDate? Date(string? text, string field, FieldErrors errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var parsed = LocalDatePattern.Iso.Parse(text);
        if (parsed.Success)
        {
            return parsed.Value;
        }

        errors.Add(field, "Must be a date in the form yyyy-MM-dd.");
        return null;
    }
}
