using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Mms;

namespace PayConnect.Functions.Mms;

/// <summary>The MMS mirror's ingest API (for a firm's sync agent) and the association screen's search.</summary>
public sealed class MmsFunctions(HttpApi api, MmsHandlers mms)
{
    /// <summary>Upserts a batch of the MMS's clients, matters and invoices into the mirror, all or nothing.</summary>
    [Function("IngestMms")]
    [ApiOperation(Roles.FirmAdmin, Roles.MmsSync, Request = typeof(IngestMmsRequest), Response = typeof(MmsIngestedResponse))]
    public Task<IResult> Ingest([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/mms/ingest")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle<IngestMmsRequest>(req, firmId, Roles.Sync, (r, body, c) => mms.IngestAsync(r.FirmId, body, c), ct);

    /// <summary>Searches the MMS for clients, matters or invoices to associate with a payer.</summary>
    [Function("SearchMms")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Query = typeof(SearchMmsQuery), Response = typeof(Page<MmsSearchResultResponse>), Problems = [503])]
    public Task<IResult> Search([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/mms/search")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleQuery<SearchMmsQuery>(req, firmId, Roles.Staff, (r, query, c) => mms.SearchAsync(r.FirmId, query, r.Paging, c), ct);
}
