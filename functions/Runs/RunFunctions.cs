using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Reversals;
using PayConnect.Runs;

namespace PayConnect.Functions.Runs;

/// <summary>Run records: what one run of a schedule on one date did; the approval queue and its decisions; refunds.</summary>
public sealed class RunFunctions(HttpApi api, RunHandlers runs, RefundHandlers refunds)
{
    /// <summary>
    /// Refunds all or part of a run's charge: newest invoice first unless invoices are named, with the surcharge's share;
    /// reversal postings per invoice once the gateway returns the money. Idempotency-Key is required.
    /// </summary>
    [Function("RefundRun")]
    [ApiOperation(Roles.FirmAdmin, Request = typeof(RefundRunRequest), Response = typeof(RunView), Idempotent = true, ETag = true, Problems = [409, 503])]
    public Task<IResult> RefundRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/runs/{scheduleId}/{date}/refunds")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.HandleCreate<RefundRunRequest>(req, firmId, Roles.Admin, (r, body, c) => refunds.RefundAsync(r.FirmId, scheduleId, date, body, r.Caller.User, r.IdempotencyKey, c), ct);

    /// <summary>Reads one run: what it allocated and charged, and why it stopped.</summary>
    [Function("GetRun")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(RunView), ETag = true)]
    public Task<IResult> GetRun([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/runs/{scheduleId}/{date}")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => runs.GetAsync(r.FirmId, scheduleId, date, c), ct);

    /// <summary>Lists the approval queue (state=AwaitingApproval), or one schedule's runs (scheduleId, optionally state).</summary>
    [Function("ListRuns")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<RunView>))]
    public Task<IResult> ListRuns([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/runs")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => runs.ListAsync(r.FirmId, r.Query["scheduleId"], r.Query["state"], r.Paging, c), ct);

    /// <summary>Approves a run waiting for approval: its lines are checked again against what is still owed, then it is charged.</summary>
    [Function("ApproveRun")]
    [ApiOperation(Roles.FirmAdmin, Response = typeof(RunView), IfMatch = true, ETag = true, Problems = [409, 503])]
    public Task<IResult> ApproveRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/runs/{scheduleId}/{date}/approve")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Admin, (r, c) => runs.ApproveAsync(r.FirmId, scheduleId, date, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Declines a run waiting for approval: it is skipped, with who and why, and nothing is charged.</summary>
    [Function("DeclineRun")]
    [ApiOperation(Roles.FirmAdmin, Request = typeof(DeclineRunRequest), Response = typeof(RunView), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> DeclineRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/runs/{scheduleId}/{date}/decline")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle<DeclineRunRequest>(req, firmId, Roles.Admin, (r, body, c) => runs.DeclineAsync(r.FirmId, scheduleId, date, body, r.Caller.User, r.IfMatch, c), ct);
}
