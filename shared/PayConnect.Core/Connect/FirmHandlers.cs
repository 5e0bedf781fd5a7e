using NodaTime;
using PayConnect.Api;
using PayConnect.Mms;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Connect;

/// <summary>Firm settings, bank accounts and notification subscriptions.</summary>
public sealed class FirmHandlers(IRecordStore store, IClock clock, FirmSettingsCache firms)
{
    public const int MinSecretLength = 32;
    public const int MaxSecretLength = 256;

    public async Task<ApiResult> GetSettingsAsync(string firmId, CancellationToken ct)
    {
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        return firm is null ? new ApiResult.NotFound($"Firm '{firmId}' has no settings yet; PUT them first.") : new ApiResult.Ok(View(firm.Value), firm.ETag);
    }

    public async Task<ApiResult> PutSettingsAsync(string firmId, JsonBody body, string? ifMatch, CancellationToken ct)
    {
        var name = body.String("name", required: true, maxLength: 200);
        var zone = body.String("timeZone", required: true, maxLength: 64);
        var currency = body.String("currency", required: false, maxLength: 3) ?? "USD";
        // The same rule the fan-out and the runs resolve the zone with, so a zone accepted here always resolves there.
        if (zone is not null && !FirmClock.TryResolveZone(zone, out _, out _))
        {
            body.Errors.Add("timeZone", "Must be an IANA time zone id such as America/Chicago.");
        }

        if (!Currencies.IsSupported(currency))
        {
            body.Errors.Add("currency", "Must be a supported ISO 4217 currency code such as USD.");
        }

        var threshold = body.Decimal("approvalThreshold", required: false);
        long? thresholdMinor = null;
        if (threshold is not null && Currencies.IsSupported(currency))
        {
            if (!Currencies.TryToMinor(threshold.Value, currency, out var minor) || minor <= 0)
            {
                body.Errors.Add("approvalThreshold", $"Must be more than zero with at most {Currencies.Exponent(currency)} decimals.");
            }
            else
            {
                thresholdMinor = minor;
            }
        }

        var connector = body.Enum<MmsConnectorKind>("mmsConnector", required: false) ?? MmsConnectorKind.Mirror;
        var baseUrlText = body.String("mmsBaseUrl", required: false, maxLength: MmsBaseUrls.MaxLength);
        var secret = body.String("mmsSharedSecret", required: false, maxLength: MaxSecretLength, minLength: MinSecretLength);
        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        var existing = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        string? baseUrl = null;
        if (connector == MmsConnectorKind.Mirror)
        {
            foreach (var field in new[] { "mmsBaseUrl", "mmsSharedSecret" }.Where(body.Has))
            {
                body.Errors.Add(field, "Is only used with mmsConnector Http.");
            }
        }
        else
        {
            if (baseUrlText is null)
            {
                body.Errors.Add("mmsBaseUrl", "Is required with mmsConnector Http.");
            }
            else if (!MmsBaseUrls.TryParse(baseUrlText, out baseUrl, out var problem))
            {
                body.Errors.Add("mmsBaseUrl", problem);
            }

            // Write-only: a PUT that leaves the secret out keeps the stored one, unless the endpoint moved.
            var kept = existing?.Value is { MmsConnector: MmsConnectorKind.Http, MmsSharedSecret: { } stored } old
                && baseUrl is not null && string.Equals(old.MmsBaseUrl, baseUrl, StringComparison.Ordinal)
                ? stored
                : null;
            secret ??= kept;
            if (secret is null && baseUrl is not null)
            {
                body.Errors.Add("mmsSharedSecret", $"Is required with mmsConnector Http ({MinSecretLength} to {MaxSecretLength} characters) when none is stored for this base URL.");
            }
        }

        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        var settings = new FirmSettings(firmId, name!, zone!, currency, clock.GetCurrentInstant(), connector, baseUrl, connector == MmsConnectorKind.Http ? secret : null)
        {
            ApprovalThresholdMinor = thresholdMinor,
        };
        try
        {
            var stored = existing is null && ifMatch is null
                ? await store.InsertAsync(firmId, settings, ct)
                : await store.ReplaceAsync(firmId, settings, ifMatch ?? existing!.ETag, ct);
            firms.Forget(firmId);
            return new ApiResult.Ok(View(stored.Value), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    public async Task<ApiResult> CreateBankAccountAsync(string firmId, JsonBody body, CancellationToken ct)
    {
        var name = body.String("name", required: true, maxLength: 100);
        var kind = body.Enum<BankAccountKind>("kind", required: true);
        var last4 = body.String("last4", required: true, maxLength: 4, minLength: 4);
        if (last4 is not null && !last4.All(char.IsAsciiDigit))
        {
            body.Errors.Add("last4", "Must be the last four digits of the account number.");
        }

        // Optional: the Stripe connected account that settles into this bank account (charges are routed to it).
        var stripeAccountId = body.String("stripeAccountId", required: false, maxLength: Payments.GatewayIds.MaxLength);
        if (stripeAccountId is not null && !Payments.GatewayIds.IsConnectedAccountId(stripeAccountId))
        {
            body.Errors.Add("stripeAccountId", "Must be a Stripe connected account id: acct_ followed by letters and digits.");
        }

        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        var account = new BankAccount(Ids.New("ba"), name!, kind!.Value, last4!, clock.GetCurrentInstant(), stripeAccountId);
        var stored = await store.InsertAsync(firmId, account, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/bank-accounts/{account.Id}", account, stored.ETag);
    }

    public async Task<ApiResult> ListBankAccountsAsync(string firmId, Paging paging, CancellationToken ct)
    {
        var page = await store.ListAsync<BankAccount>(firmId, string.Empty, paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(Paging.Body(page));
    }

    public async Task<ApiResult> GetBankAccountAsync(string firmId, string id, CancellationToken ct)
    {
        var account = await store.GetAsync<BankAccount>(firmId, id, ct);
        return account is null ? ApiResult.NotFoundOf("Bank account", id) : new ApiResult.Ok(account.Value, account.ETag);
    }

    public async Task<ApiResult> CreateSubscriptionAsync(string firmId, JsonBody body, CancellationToken ct)
    {
        var email = body.String("email", required: true, maxLength: 254);
        var displayName = body.String("displayName", required: false, maxLength: 100);
        var types = body.Strings("types", required: false, maxItems: 5) ?? [NotificationSubscription.ErrorFailedAutoPay];
        if (email is not null && !EmailAddresses.IsValid(email))
        {
            body.Errors.Add("email", "Must be an email address.");
        }

        for (var i = 0; i < types.Count; i++)
        {
            if (!NotificationTypes.All.Contains(types[i]))
            {
                body.Errors.Add($"types[{i}]", $"Unknown notification type; supported: {string.Join(", ", NotificationTypes.All)}.");
            }
        }

        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        var subscription = new NotificationSubscription(email!, displayName, types.Distinct().ToList(), clock.GetCurrentInstant());
        try
        {
            var stored = await store.InsertAsync(firmId, subscription, ct);
            return new ApiResult.Created($"/api/firms/{firmId}/notification-subscriptions/{Uri.EscapeDataString(subscription.Key)}", subscription, stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return new ApiResult.Conflict($"{email} is already subscribed.", FieldErrors.One("email", "Already subscribed."));
        }
    }

    public async Task<ApiResult> ListSubscriptionsAsync(string firmId, Paging paging, CancellationToken ct)
    {
        var page = await store.ListAsync<NotificationSubscription>(firmId, string.Empty, paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(Paging.Body(page));
    }

    public async Task<ApiResult> DeleteSubscriptionAsync(string firmId, string email, CancellationToken ct) =>
        await store.DeleteAsync<NotificationSubscription>(firmId, email.ToLowerInvariant(), null, ct)
            ? new ApiResult.NoContent()
            : ApiResult.NotFoundOf("Subscription", email);

    // Never the shared secret itself: only whether one is set.
    private static object View(FirmSettings f) => new
    {
        firmId = f.FirmId,
        name = f.Name,
        timeZone = f.TimeZone,
        currency = f.Currency,
        mmsConnector = f.MmsConnector,
        mmsBaseUrl = f.MmsBaseUrl,
        mmsSharedSecretSet = f.MmsSharedSecret is not null,
        approvalThreshold = new { minor = f.ApprovalThreshold(), currency = f.Currency, isDefault = f.ApprovalThresholdMinor is null },
        updatedAt = f.UpdatedAt,
    };
}

/// <summary>Page size and continuation of a listing request.</summary>
public sealed record Paging(int PageSize, string? Continuation)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static object Body<T>(RecordPage<Stored<T>> page) => new { items = page.Items.Select(i => i.Value).ToList(), continuation = page.Continuation };
}

public static class EmailAddresses
{
    public static bool IsValid(string text)
    {
        var at = text.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == text.LastIndexOf('@') && at < text.Length - 3 && text[(at + 1)..].Contains('.', StringComparison.Ordinal)
            && !text.Any(char.IsWhiteSpace) && System.Net.Mail.MailAddress.TryCreate(text, out _);
    }
}
