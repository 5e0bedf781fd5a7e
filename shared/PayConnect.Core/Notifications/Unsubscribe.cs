using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Notifications;

/// <summary>Who an unsubscribe link is for: a staff subscription (by address) or a payer (by id).</summary>
public enum UnsubscribeAudience
{
    Staff,
    Payer,
}

/// <summary>What an unsubscribe link stops: one notification type for one staff address or one payer of one firm.</summary>
public sealed record UnsubscribeRequest(string FirmId, UnsubscribeAudience Audience, string Subject, string Type);

/// <summary>
/// Signs and checks unsubscribe tokens: <c>base64url(payload).base64url(HMAC-SHA256(key, payload))</c>. The token names
/// the firm, the audience, the address or payer and the type, so a link can stop exactly that and nothing else, and
/// nobody without the key (an app setting, a Key Vault reference in Azure) can make one. Tokens do not expire: an
/// unsubscribe link must keep working.
/// </summary>
public sealed class UnsubscribeTokens
{
    private readonly byte[] _key;

    public UnsubscribeTokens(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        _key = Encoding.UTF8.GetBytes(key);
        if (_key.Length < 32)
        {
            throw new ArgumentException("The unsubscribe key must be at least 32 bytes.", nameof(key));
        }
    }

    public string Sign(UnsubscribeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var payload = JsonSerializer.SerializeToUtf8Bytes(new[] { "1", request.FirmId, request.Audience == UnsubscribeAudience.Staff ? "s" : "p", request.Subject, request.Type });
        return Base64Url(payload) + "." + Base64Url(HMACSHA256.HashData(_key, payload));
    }

    /// <summary>The request a token stands for, or null when it is malformed or its signature does not match.</summary>
    public UnsubscribeRequest? Verify(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 2000 || token.Split('.') is not [var body, var mac])
        {
            return null;
        }

        try
        {
            var payload = FromBase64Url(body);
            if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, payload), FromBase64Url(mac)))
            {
                return null;
            }

            return JsonSerializer.Deserialize<string[]>(payload) is ["1", var firm, var audience and ("s" or "p"), var subject, var type]
                ? new UnsubscribeRequest(firm, audience == "s" ? UnsubscribeAudience.Staff : UnsubscribeAudience.Payer, subject, type)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}

/// <summary>The links notification emails carry: the unsubscribe link of each recipient and type.</summary>
public sealed class NotificationLinks(UnsubscribeTokens tokens, Uri publicBaseUrl)
{
    /// <summary>The anonymous route that takes the token (<c>GET</c> shows a confirmation, <c>POST</c> unsubscribes).</summary>
    public const string UnsubscribeRoute = "unsubscribe";

    public Uri Unsubscribe(UnsubscribeRequest request) =>
        new($"{publicBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/')}/api/{UnsubscribeRoute}?token={Uri.EscapeDataString(tokens.Sign(request))}");

    public Uri ForStaff(string firmId, string address, string type) => Unsubscribe(new UnsubscribeRequest(firmId, UnsubscribeAudience.Staff, address.Trim().ToLowerInvariant(), type));

    public Uri ForPayer(string firmId, string payerId, string type) => Unsubscribe(new UnsubscribeRequest(firmId, UnsubscribeAudience.Payer, payerId, type));
}

/// <summary>What an unsubscribe did, for the page the recipient sees.</summary>
public sealed record UnsubscribeOutcome(bool Valid, string Message);

/// <summary>Carries out an unsubscribe link: removes one type from a staff subscription, or from a payer's notices.</summary>
public sealed class UnsubscribeHandler(IRecordStore store, UnsubscribeTokens tokens, IClock clock, SubscriptionCache subscriptions, Payers.PayerCopies copies)
{
    /// <summary>Reads the token without changing anything (the confirmation page).</summary>
    public UnsubscribeOutcome Describe(string? token) =>
        tokens.Verify(token) is { } request
            ? new UnsubscribeOutcome(true, $"Stop receiving {Words(request.Type)} emails{(request.Audience == UnsubscribeAudience.Staff ? " at " + request.Subject : string.Empty)}?")
            : new UnsubscribeOutcome(false, "This unsubscribe link is not valid.");

    /// <summary>Unsubscribes; doing it again changes nothing and says the same.</summary>
    public async Task<UnsubscribeOutcome> ApplyAsync(string? token, CancellationToken cancellationToken)
    {
        if (tokens.Verify(token) is not { } request)
        {
            return new UnsubscribeOutcome(false, "This unsubscribe link is not valid.");
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (request.Audience == UnsubscribeAudience.Staff)
                {
                    var subscription = await store.GetAsync<NotificationSubscription>(request.FirmId, request.Subject, cancellationToken).ConfigureAwait(false);
                    if (subscription is not null && subscription.Value.Types.Contains(request.Type))
                    {
                        var types = subscription.Value.Types.Where(t => t != request.Type).ToList();
                        if (types.Count == 0)
                        {
                            await store.DeleteAsync<NotificationSubscription>(request.FirmId, subscription.Value.Key, subscription.ETag, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            await store.ReplaceAsync(request.FirmId, subscription.Value with { Types = types }, subscription.ETag, cancellationToken).ConfigureAwait(false);
                        }

                        subscriptions.Forget(request.FirmId);
                    }
                }
                else
                {
                    var payer = await store.GetAsync<Payer>(request.FirmId, request.Subject, cancellationToken).ConfigureAwait(false);
                    if (payer?.Value.Contacts is { } contacts && contacts.Receives.Contains(request.Type))
                    {
                        var updated = contacts with { Receives = contacts.Receives.Where(t => t != request.Type).ToList(), UpdatedAt = clock.GetCurrentInstant() };
                        var stored = await store.ReplaceAsync(request.FirmId, payer.Value with { Contacts = updated }, payer.ETag, cancellationToken).ConfigureAwait(false);
                        await copies.RefreshAsync(request.FirmId, stored.Value, cancellationToken).ConfigureAwait(false);
                    }
                    else if (payer is not null)
                    {
                        // Unsubscribed already (a second click, or a first one whose copies failed part way): finish the copies.
                        await copies.RefreshAsync(request.FirmId, payer.Value, cancellationToken).ConfigureAwait(false);
                    }
                }

                return new UnsubscribeOutcome(true, $"You will no longer receive {Words(request.Type)} emails{(request.Audience == UnsubscribeAudience.Staff ? " at " + request.Subject : string.Empty)}.");
            }
            catch (ConcurrencyException)
            {
                // Changed meanwhile (staff edited it): read it again.
            }
        }

        throw new InvalidOperationException("The subscription kept changing while unsubscribing.");
    }

    /// <summary>PreChargeNotice → "pre-charge notice".</summary>
    public static string Words(string type) => type switch
    {
        NotificationTypes.ErrorFailedAutoPay => "Error-Failed AutoPay",
        NotificationTypes.AwaitingApproval => "AutoPay awaiting approval",
        NotificationTypes.PreChargeNotice => "payment reminder",
        NotificationTypes.PaymentReceipt => "payment receipt",
        NotificationTypes.ScheduleExpiring => "authorization ending",
        NotificationTypes.RunSummary => "AutoPay daily summary",
        _ => type,
    };
}
