using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.Schedules;

/// <summary>Auto-Pay schedules: create, read, update, pause, resume, end, enrollments, skipped occurrences and the due-run preview.</summary>
public sealed class ScheduleFunctions(HttpApi api, ScheduleHandlers schedules)
{
    /// <summary>Sets up an Auto-Pay for a payer: which method to charge, where the money goes, how often and how much.</summary>
    [Function("CreateSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(CreateScheduleRequest), Response = typeof(ScheduleResponse), Idempotent = true, ETag = true)]
    public Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers/{payerId}/schedules")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleCreate<CreateScheduleRequest>(req, firmId, Roles.Staff, (r, body, c) => schedules.CreateAsync(r.FirmId, payerId, body, r.Caller.User, c), ct);

    /// <summary>Lists a payer's Auto-Pay schedules.</summary>
    [Function("ListSchedules")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<ScheduleResponse>))]
    public Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/schedules")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.ListForPayerAsync(r.FirmId, payerId, r.Paging, c), ct);

    /// <summary>Reads one schedule.</summary>
    [Function("GetSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(ScheduleResponse), ETag = true)]
    public Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.GetAsync(r.FirmId, scheduleId, c), ct);

    /// <summary>Replaces what a schedule is set up with; an ended schedule cannot be changed.</summary>
    [Function("UpdateSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(UpdateScheduleRequest), Response = typeof(ScheduleResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/schedules/{scheduleId}")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle<UpdateScheduleRequest>(req, firmId, Roles.Staff, (r, body, c) => schedules.UpdateAsync(r.FirmId, scheduleId, body, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Pauses a schedule: no run that has not charged yet will charge.</summary>
    [Function("PauseSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(ScheduleResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Pause([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/pause")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.PauseAsync(r.FirmId, scheduleId, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Resumes a paused schedule from today; occurrences missed while paused are not caught up.</summary>
    [Function("ResumeSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(ScheduleResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Resume([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/resume")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.ResumeAsync(r.FirmId, scheduleId, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Ends a schedule for good: runs that have not charged yet are skipped.</summary>
    [Function("EndSchedule")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(ScheduleResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> End([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/end")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.EndAsync(r.FirmId, scheduleId, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Reads a schedule's enrolled associations.</summary>
    [Function("GetEnrollments")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(EnrollmentsResponse), ETag = true)]
    public Task<IResult> GetEnrollments([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}/enrollments")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.GetEnrollmentsAsync(r.FirmId, scheduleId, c), ct);

    /// <summary>Replaces a schedule's enrolled associations; only the payer's own associations can be enrolled.</summary>
    [Function("PutEnrollments")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(PutEnrollmentsRequest), Response = typeof(EnrollmentsResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> PutEnrollments([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/schedules/{scheduleId}/enrollments")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle<PutEnrollmentsRequest>(req, firmId, Roles.Staff, (r, body, c) => schedules.PutEnrollmentsAsync(r.FirmId, scheduleId, body, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Skips one coming occurrence: its run is recorded Skipped, with who and why, and charges nothing (200 when it was already skipped).</summary>
    [Function("CreateScheduleSkip")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(CreateScheduleSkipRequest), Response = typeof(ScheduleResponse), Status = 201, AlsoStatuses = [200], IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Skip([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/schedules/{scheduleId}/skips")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.Handle<CreateScheduleSkipRequest>(req, firmId, Roles.Staff, (r, body, c) => schedules.SkipAsync(r.FirmId, scheduleId, body, r.Caller.User, r.IfMatch, c), ct);

    /// <summary>Undoes the skip of a coming occurrence: its run charges as usual.</summary>
    [Function("DeleteScheduleSkip")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(ScheduleResponse), IfMatch = true, ETag = true, Problems = [409])]
    public Task<IResult> Unskip([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/schedules/{scheduleId}/skips/{date}")] HttpRequest req, string firmId, string scheduleId, string date, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => schedules.UnskipAsync(r.FirmId, scheduleId, date, r.IfMatch, c), ct);

    /// <summary>Previews a schedule's next run dates.</summary>
    [Function("UpcomingRuns")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Query = typeof(UpcomingRunsQuery), Response = typeof(UpcomingRunsResponse))]
    public Task<IResult> Upcoming([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/schedules/{scheduleId}/upcoming")] HttpRequest req, string firmId, string scheduleId, CancellationToken ct) =>
        api.HandleQuery<UpcomingRunsQuery>(req, firmId, Roles.Staff, (r, query, c) => schedules.UpcomingAsync(r.FirmId, scheduleId, query, c), ct);
}
