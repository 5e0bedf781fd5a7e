using System.Net.Http.Headers;
using Azure.Core;
using Azure.Identity;
using PayConnect.Notifications;

namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// How requests to ACS are authorized: a Microsoft Entra bearer token of the app's managed identity (Azure; the
/// resource has local auth disabled), or an HMAC signature with the resource's access key (local development and tests
/// only). See docs/decisions/0018-acs-email-by-managed-identity.md.
/// </summary>
public abstract class AcsAuthorization
{
    /// <summary>
    /// The Entra scope of the Communication Services data plane. The double slash is Microsoft's: it is the scope
    /// Azure.Communication.* SDKs request (azure-sdk-for-net, Communication shared pipeline builders).
    /// </summary>
    public const string Scope = "https://communication.azure.com//.default";

    private protected AcsAuthorization()
    {
    }

    /// <summary>HMAC-SHA256 with the base64 access key (local and tests only).</summary>
    public static AcsAuthorization FromAccessKey(string accessKey) => new Hmac(AcsRequestSigner.FromAccessKey(accessKey));

    /// <summary>Bearer tokens of <paramref name="credential"/> for <see cref="Scope"/>, reused until shortly before they expire.</summary>
    public static AcsAuthorization FromTokenCredential(TokenCredential credential, TimeProvider? time = null) =>
        new Bearer(credential ?? throw new ArgumentNullException(nameof(credential)), time ?? TimeProvider.System);

    /// <summary>The Authorization scheme: <c>Bearer</c> (Entra) or <c>HMAC-SHA256</c> (access key).</summary>
    public abstract string Scheme { get; }

    /// <summary>Adds the authorization headers to a request whose body is <paramref name="body"/>.</summary>
    public abstract ValueTask AuthorizeAsync(HttpRequestMessage request, ReadOnlyMemory<byte> body, DateTimeOffset now, CancellationToken cancellationToken);

    private sealed class Hmac(AcsRequestSigner signer) : AcsAuthorization
    {
        public override string Scheme => "HMAC-SHA256";

        public override ValueTask AuthorizeAsync(HttpRequestMessage request, ReadOnlyMemory<byte> body, DateTimeOffset now, CancellationToken cancellationToken)
        {
            signer.Sign(request, body.Span, now);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Bearer(TokenCredential credential, TimeProvider time) : AcsAuthorization
    {
        // Refresh this long before expiry so that a token never expires in flight.
        private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
        private readonly SemaphoreSlim gate = new(1, 1);
        private AccessToken? cached;

        public override string Scheme => "Bearer";

        public override async ValueTask AuthorizeAsync(HttpRequestMessage request, ReadOnlyMemory<byte> body, DateTimeOffset now, CancellationToken cancellationToken)
        {
            AccessToken token;
            try
            {
                token = await TokenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (AuthenticationFailedException e)
            {
                // Our identity, not the message: keep the message so it goes out once the identity works.
                throw new EmailTransientException("No Entra token for Azure Communication Services: " + e.Message, null, e);
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        }

        private async ValueTask<AccessToken> TokenAsync(CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (cached is not { } token || token.ExpiresOn - RefreshMargin <= time.GetUtcNow())
                {
                    token = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken).ConfigureAwait(false);
                    cached = token;
                }

                return token;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
