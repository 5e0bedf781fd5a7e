using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Firms;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.Firms;

/// <summary>Firm settings, bank accounts and Error-Failed AutoPay subscriptions.</summary>
public sealed class FirmFunctions(HttpApi api, FirmHandlers firms)
{
    /// <summary>Reads the firm's settings.</summary>
    [Function("GetFirmSettings")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(FirmSettingsResponse), ETag = true)]
    public Task<IResult> GetSettings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/settings")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.GetSettingsAsync(r.FirmId, c), ct);

    /// <summary>Creates or replaces the firm's settings (time zone, currency, MMS connection).</summary>
    [Function("PutFirmSettings")]
    [ApiOperation(Roles.FirmAdmin, Request = typeof(PutFirmSettingsRequest), Response = typeof(FirmSettingsResponse), IfMatch = true, ETag = true)]
    public Task<IResult> PutSettings([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/settings")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle<PutFirmSettingsRequest>(req, firmId, Roles.Admin, (r, body, c) => firms.PutSettingsAsync(r.FirmId, body, r.IfMatch, c), ct);

    /// <summary>Adds a firm bank account (a deposit account Auto-Pay money lands in).</summary>
    [Function("CreateBankAccount")]
    [ApiOperation(Roles.FirmAdmin, Request = typeof(CreateBankAccountRequest), Response = typeof(BankAccountResponse), Idempotent = true, ETag = true)]
    public Task<IResult> CreateBankAccount([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/bank-accounts")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleCreate<CreateBankAccountRequest>(req, firmId, Roles.Admin, (r, body, c) => firms.CreateBankAccountAsync(r.FirmId, body, c), ct);

    /// <summary>Lists the firm's bank accounts.</summary>
    [Function("ListBankAccounts")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<BankAccountResponse>))]
    public Task<IResult> ListBankAccounts([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/bank-accounts")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.ListBankAccountsAsync(r.FirmId, r.Paging, c), ct);

    /// <summary>Reads one firm bank account.</summary>
    [Function("GetBankAccount")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(BankAccountResponse), ETag = true)]
    public Task<IResult> GetBankAccount([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/bank-accounts/{bankAccountId}")] HttpRequest req, string firmId, string bankAccountId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.GetBankAccountAsync(r.FirmId, bankAccountId, c), ct);

    /// <summary>Subscribes a staff address to notifications (Error-Failed AutoPay emails).</summary>
    [Function("CreateNotificationSubscription")]
    [ApiOperation(Roles.FirmAdmin, Request = typeof(CreateSubscriptionRequest), Response = typeof(SubscriptionResponse), Idempotent = true, ETag = true, Problems = [409])]
    public Task<IResult> CreateSubscription([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/notification-subscriptions")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleCreate<CreateSubscriptionRequest>(req, firmId, Roles.Admin, (r, body, c) => firms.CreateSubscriptionAsync(r.FirmId, body, c), ct);

    /// <summary>Lists the staff addresses subscribed to notifications.</summary>
    [Function("ListNotificationSubscriptions")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<SubscriptionResponse>))]
    public Task<IResult> ListSubscriptions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/notification-subscriptions")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.ListSubscriptionsAsync(r.FirmId, r.Paging, c), ct);

    /// <summary>Unsubscribes a staff address.</summary>
    [Function("DeleteNotificationSubscription")]
    [ApiOperation(Roles.FirmAdmin)]
    public Task<IResult> DeleteSubscription([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/notification-subscriptions/{email}")] HttpRequest req, string firmId, string email, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Admin, (r, c) => firms.DeleteSubscriptionAsync(r.FirmId, email, c), ct);
}
