using NodaTime.Text;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>Reads run records: what a run allocated, charged and why it failed.</summary>
public sealed class RunHandlers(IRecordStore store)
{
    public async Task<ApiResult> GetAsync(string firmId, string scheduleId, string date, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Ids.IsWellFormed(scheduleId))
        {
            errors.Add("scheduleId", "Is not a valid id.");
        }

        var parsed = LocalDatePattern.Iso.Parse(date);
        if (!parsed.Success)
        {
            errors.Add("date", "Must be a date in the form yyyy-MM-dd.");
        }

        if (errors.Any)
        {
            return new ApiResult.Invalid(errors);
        }

        var run = await store.GetAsync<RunRecord>(firmId, RunRecord.KeyOf(scheduleId, parsed.Value), ct);
        return run is null ? new ApiResult.NotFound($"No run of schedule '{scheduleId}' on {date}.") : new ApiResult.Ok(run.Value with { PaymentMethodToken = null }, run.ETag);
    }
}
