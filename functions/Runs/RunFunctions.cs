using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Http;
using PayConnect.Runs;

namespace PayConnect.Functions.Runs;

/// <summary>Run records: what one run of a schedule on one date did; the approval queue and its decisions.</summary>
public sealed class RunFunctions(HttpApi api, RunHandlers runs)
{
    [Function("GetRun")]
    public Task<IResult> GetRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/runs/{scheduleId}/{date}")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => runs.GetAsync(r.FirmId, scheduleId, date, c), ct);

    [Function("ListRuns")]
    public Task<IResult> ListRuns([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/runs")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => runs.ListAsync(r.FirmId, r.Query["scheduleId"], r.Query["state"], r.Paging, c), ct);

    [Function("ApproveRun")]
    public Task<IResult> ApproveRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/runs/{scheduleId}/{date}/approve")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Admin, (r, c) => runs.ApproveAsync(r.FirmId, scheduleId, date, r.Caller.User, r.IfMatch, c), ct);

    [Function("DeclineRun")]
    public Task<IResult> DeclineRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/runs/{scheduleId}/{date}/decline")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Admin, (r, c) => runs.DeclineAsync(r.FirmId, scheduleId, date, r.Body!, r.Caller.User, r.IfMatch, c), ct);
}
