using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Connect;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.Schedules;

/// <summary>Auto-Pay schedules: create, read, update, pause, resume, end, enrollments, skipped occurrences and the due-run preview.</summary>
public sealed class ScheduleFunctions(HttpApi api, ScheduleHandlers schedules)
{
    [Function("CreateSchedule")]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers/{payerId}/schedules")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleCreate(req, firmId, Roles.Staff, (r, c) => schedules.CreateAsync(r.FirmId, payerId, r.Body!, r.Caller.User, c), ct);

    [Function("ListSchedules")]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/schedules")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.ListForPayerAsync(r.FirmId, payerId, r.Paging, c), ct);

    [Function("GetSchedule")]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.GetAsync(r.FirmId, scheduleId, c), ct);

    [Function("UpdateSchedule")]
    public Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/schedules/{scheduleId}")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Staff, (r, c) => schedules.UpdateAsync(r.FirmId, scheduleId, r.Body!, r.Caller.User, r.IfMatch, c), ct);

    [Function("PauseSchedule")]
    public Task<IResult> Pause([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/pause")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.PauseAsync(r.FirmId, scheduleId, r.Caller.User, r.IfMatch, c), ct);

    [Function("ResumeSchedule")]
    public Task<IResult> Resume([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/resume")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.ResumeAsync(r.FirmId, scheduleId, r.Caller.User, r.IfMatch, c), ct);

    [Function("EndSchedule")]
    public Task<IResult> End([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/end")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.EndAsync(r.FirmId, scheduleId, r.Caller.User, r.IfMatch, c), ct);

    [Function("GetEnrollments")]
    public Task<IResult> GetEnrollments([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}/enrollments")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.GetEnrollmentsAsync(r.FirmId, scheduleId, c), ct);

    [Function("PutEnrollments")]
    public Task<IResult> PutEnrollments([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/schedules/{scheduleId}/enrollments")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Staff, (r, c) => schedules.PutEnrollmentsAsync(r.FirmId, scheduleId, r.Body!, r.Caller.User, r.IfMatch, c), ct);

    [Function("CreateScheduleSkip")]
    public Task<IResult> Skip([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/skips")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Staff, (r, c) => schedules.SkipAsync(r.FirmId, scheduleId, r.Body!, r.Caller.User, r.IfMatch, c), ct);

    [Function("DeleteScheduleSkip")]
    public Task<IResult> Unskip([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/schedules/{scheduleId}/skips/{date}")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.UnskipAsync(r.FirmId, scheduleId, date, r.IfMatch, c), ct);

    [Function("UpcomingRuns")]
    public Task<IResult> Upcoming([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}/upcoming")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.UpcomingAsync(r.FirmId, scheduleId, r.Query["count"], c), ct);
}
