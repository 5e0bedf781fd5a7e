using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Http;
using PayConnect.Mms;

namespace PayConnect.Functions.Mms;

/// <summary>The MMS mirror's ingest API (for a firm's sync agent) and the association screen's search.</summary>
public sealed class MmsFunctions(HttpApi api, MmsHandlers mms)
{
    [Function("IngestMms")]
    public Task<IResult> Ingest([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/mms/ingest")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Sync, (r, c) => mms.IngestAsync(r.FirmId, r.Body!, c), ct);

    [Function("SearchMms")]
    public Task<IResult> Search([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/mms/search")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => mms.SearchAsync(r.FirmId, r.Query["by"], r.Query["q"], r.Paging, c), ct);
}
