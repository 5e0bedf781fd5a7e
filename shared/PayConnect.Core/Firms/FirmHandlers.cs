using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Storage;

namespace PayConnect.Firms;

/// <summary>Firm settings, bank accounts and notification subscriptions. Requests arrive validated.</summary>
public sealed class FirmHandlers(IRecordStore store, IClock clock, FirmSettingsCache firms, Notifications.PayerNotices.RunDigest digests, Notifications.SubscriptionCache subscriptions)
{
    public async Task<ApiResult> GetSettingsAsync(string firmId, CancellationToken ct)
    {
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        return firm is null
            ? new ApiResult.NotFound($"Firm '{firmId}' has no settings yet; PUT them first.")
            : new ApiResult.Ok(FirmSettingsResponse.From(firm.Value), firm.ETag);
    }

    public async Task<ApiResult> PutSettingsAsync(string firmId, PutFirmSettingsRequest request, string? ifMatch, CancellationToken ct)
    {
        var existing = await store.GetAsync<FirmSettings>(firmId, "settings", ct);
        string? baseUrl = null;
        var secret = request.MmsSharedSecret;
        if (request.MmsConnector == MmsConnectorKind.Http)
        {
            MmsBaseUrls.TryParse(request.MmsBaseUrl, out baseUrl, out _);

            // Write-only: a PUT that leaves the secret out keeps the stored one, unless the endpoint moved.
            secret ??= existing?.Value is { MmsConnector: MmsConnectorKind.Http, MmsSharedSecret: { } stored } old
                && string.Equals(old.MmsBaseUrl, baseUrl, StringComparison.Ordinal)
                ? stored
                : null;
            if (secret is null)
            {
                return new ApiResult.Invalid(FieldErrors.One("mmsSharedSecret",
                    $"Is required with mmsConnector Http ({PutFirmSettingsRequest.MinSecretLength} to {PutFirmSettingsRequest.MaxSecretLength} characters) when none is stored for this base URL."));
            }
        }

        var settings = new FirmSettings(firmId, request.Name, request.TimeZone, request.Currency, clock.GetCurrentInstant(), request.MmsConnector, baseUrl,
            request.MmsConnector == MmsConnectorKind.Http ? secret : null)
        {
            ApprovalThresholdMinor = request.ApprovalThreshold is { } threshold && Currencies.TryToMinor(threshold, request.Currency, out var minor) ? minor : null,
            CardSurchargeBasisPoints = request.CardSurchargePercent is { } percent ? (int)(percent * 100) : null,
            SurchargeExcludedJurisdictions = (request.SurchargeExcludedJurisdictions ?? []).Distinct(StringComparer.Ordinal).ToList(),
            PreChargeNoticeDays = request.PreChargeNoticeDays,
        };
        try
        {
            var stored = existing is null && ifMatch is null
                ? await store.InsertAsync(firmId, settings, ct)
                : await store.ReplaceAsync(firmId, settings, ifMatch ?? existing!.ETag, ct);
            firms.Forget(firmId);
            return new ApiResult.Ok(FirmSettingsResponse.From(stored.Value), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    public async Task<ApiResult> CreateBankAccountAsync(string firmId, CreateBankAccountRequest request, CancellationToken ct)
    {
        var account = new BankAccount(Ids.New("ba"), request.Name, request.Kind, request.Last4, clock.GetCurrentInstant(), request.StripeAccountId);
        var stored = await store.InsertAsync(firmId, account, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/bank-accounts/{account.Id}", BankAccountResponse.From(account), stored.ETag);
    }

    public async Task<ApiResult> ListBankAccountsAsync(string firmId, Paging paging, CancellationToken ct)
    {
        var page = await store.ListAsync<BankAccount>(firmId, string.Empty, paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(Page<BankAccountResponse>.From(page, BankAccountResponse.From));
    }

    public async Task<ApiResult> GetBankAccountAsync(string firmId, string id, CancellationToken ct)
    {
        var account = await store.GetAsync<BankAccount>(firmId, id, ct);
        return account is null ? ApiResult.NotFoundOf("Bank account", id) : new ApiResult.Ok(BankAccountResponse.From(account.Value), account.ETag);
    }

    public async Task<ApiResult> CreateSubscriptionAsync(string firmId, CreateSubscriptionRequest request, CancellationToken ct)
    {
        var types = (request.Types ?? [NotificationType.ErrorFailedAutoPay]).Distinct().Select(t => t.ToString()).ToList();
        var subscription = new NotificationSubscription(request.Email, request.DisplayName, types, clock.GetCurrentInstant());
        try
        {
            var stored = await store.InsertAsync(firmId, subscription, ct);
            subscriptions.Forget(firmId);
            if (types.Contains(NotificationTypes.RunSummary))
            {
                await digests.RegisterFirmAsync(firmId, ct);
            }

            return new ApiResult.Created($"/api/firms/{firmId}/notification-subscriptions/{Uri.EscapeDataString(subscription.Key)}",
                SubscriptionResponse.From(subscription), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return new ApiResult.Conflict($"{request.Email} is already subscribed.", FieldErrors.One("email", "Already subscribed."));
        }
    }

    public async Task<ApiResult> ListSubscriptionsAsync(string firmId, Paging paging, CancellationToken ct)
    {
        var page = await store.ListAsync<NotificationSubscription>(firmId, string.Empty, paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(Page<SubscriptionResponse>.From(page, SubscriptionResponse.From));
    }

    public async Task<ApiResult> DeleteSubscriptionAsync(string firmId, string email, CancellationToken ct)
    {
        var deleted = await store.DeleteAsync<NotificationSubscription>(firmId, email.ToLowerInvariant(), null, ct);
        subscriptions.Forget(firmId);
        return deleted ? new ApiResult.NoContent() : ApiResult.NotFoundOf("Subscription", email);
    }
}
