using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// Signs a request with the ACS access key (HMAC-SHA256 over <c>VERB\npathAndQuery\nx-ms-date;host;contentHash</c>).
/// </summary>
internal sealed class AcsRequestSigner(byte[] key)
{
    public static AcsRequestSigner FromAccessKey(string accessKey) => new(Convert.FromBase64String(accessKey));

    public void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var contentHash = Convert.ToBase64String(SHA256.HashData(body));
        var date = now.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);
        var stringToSign = $"{request.Method.Method}\n{uri.PathAndQuery}\n{date};{uri.Authority};{contentHash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-content-sha256", contentHash);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "HMAC-SHA256", $"SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}");
    }
}
