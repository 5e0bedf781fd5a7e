using Microsoft.Extensions.Logging;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Storage;

namespace PayConnect.Infrastructure.Mms;

/// <summary>
/// The <see cref="IMmsConnector"/> the app uses: each call goes to the firm's own choice in its settings,
/// the embedded mirror (the default, also for a firm without settings) or its HTTP endpoint.
/// </summary>
public sealed class FirmMmsConnector(
    FirmSettingsCache firms,
    MirrorMmsConnector mirror,
    IHttpClientFactory httpClients,
    HttpMmsOptions options,
    TimeProvider time,
    ILogger<HttpMmsConnector> logger) : IMmsConnector
{
    /// <summary>The named HttpClient the HTTP connector uses.</summary>
    public const string HttpClientName = "PayConnect.Mms";

    public async Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken) =>
        await (await ForFirmAsync(firmId, cancellationToken).ConfigureAwait(false)).SearchAsync(firmId, by, text, pageSize, continuation, cancellationToken).ConfigureAwait(false);

    public async Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken) =>
        await (await ForFirmAsync(firmId, cancellationToken).ConfigureAwait(false)).FindAsync(firmId, scope, cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken) =>
        await (await ForFirmAsync(firmId, cancellationToken).ConfigureAwait(false)).OutstandingInvoicesAsync(firmId, scopes, cancellationToken).ConfigureAwait(false);

    private async Task<IMmsConnector> ForFirmAsync(string firmId, CancellationToken cancellationToken)
    {
        var settings = await firms.GetAsync(firmId, cancellationToken).ConfigureAwait(false);
        if (settings is null || settings.MmsConnector == MmsConnectorKind.Mirror)
        {
            return mirror;
        }

        if (settings.MmsBaseUrl is null || settings.MmsSharedSecret is null || !MmsBaseUrls.TryParse(settings.MmsBaseUrl, out _, out _))
        {
            // Settings validation prevents this; fail the call rather than silently falling back to stale mirror data.
            throw new MmsUnavailableException("The firm's MMS HTTP connection has no valid base URL or shared secret; set them in the firm settings.");
        }

        return new HttpMmsConnector(httpClients.CreateClient(HttpClientName), settings.MmsBaseUrl, settings.MmsSharedSecret, options, time, logger);
    }
}
