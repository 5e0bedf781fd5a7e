using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Authorizations;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.Authorizations;

/// <summary>What payers authorized: every version of a schedule's authorization, renewals and revocations.</summary>
public sealed class AuthorizationFunctions(HttpApi api, AuthorizationHandlers authorizations)
{
    /// <summary>Lists a schedule's authorization versions, its revocation and how long they are kept (also after the schedule or payer was deleted).</summary>
    [Function("ListScheduleAuthorizations")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(ScheduleAuthorizationsResponse))]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}/authorizations")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => authorizations.ListAsync(r.FirmId, scheduleId, c), ct);

    /// <summary>Records the payer's renewal of a schedule's authorization: a new version, and a one-year lifetime that ends a year after the next run.</summary>
    [Function("ReauthorizeSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(ReauthorizeRequest), Response = typeof(ScheduleAuthorizationsResponse), IfMatch = true, Problems = [409])]
    public Task<IResult> Reauthorize([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/reauthorize")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle<ReauthorizeRequest>(req, firmId, Roles.Staff, (r, body, c) => authorizations.ReauthorizeAsync(r.FirmId, scheduleId, body, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Records that the payer withdrew a schedule's authorization (staff on the payer's word): the schedule ends at once and no run that has not charged will.</summary>
    [Function("RevokeScheduleAuthorization")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(RevokeAuthorizationRequest), Response = typeof(ScheduleAuthorizationsResponse), Problems = [409])]
    public Task<IResult> Revoke([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/revoke")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle<RevokeAuthorizationRequest>(req, firmId, Roles.Staff, (r, body, c) => authorizations.RevokeAsync(r.FirmId, scheduleId, body, r.Caller.User, c), ct);
}
