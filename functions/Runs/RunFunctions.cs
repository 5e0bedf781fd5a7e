using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Http;
using PayConnect.Runs;

namespace PayConnect.Functions.Runs;

/// <summary>Run records: what one run of a schedule on one date did.</summary>
public sealed class RunFunctions(HttpApi api, RunHandlers runs)
{
    [Function("GetRun")]
    public Task<IResult> GetRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/runs/{scheduleId}/{date}")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => runs.GetAsync(r.FirmId, scheduleId, date, c), ct);
}
