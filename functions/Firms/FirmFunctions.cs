using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Connect;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.Firms;

/// <summary>Firm settings, bank accounts and Error-Failed AutoPay subscriptions.</summary>
public sealed class FirmFunctions(HttpApi api, FirmHandlers firms)
{
    [Function("GetFirmSettings")]
    public Task<IResult> GetSettings([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/settings")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.GetSettingsAsync(r.FirmId, c), ct);

    [Function("PutFirmSettings")]
    public Task<IResult> PutSettings([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/settings")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Admin, (r, c) => firms.PutSettingsAsync(r.FirmId, r.Body!, r.IfMatch, c), ct);

    [Function("CreateBankAccount")]
    public Task<IResult> CreateBankAccount([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/bank-accounts")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleCreate(req, firmId, Roles.Admin, (r, c) => firms.CreateBankAccountAsync(r.FirmId, r.Body!, c), ct);

    [Function("ListBankAccounts")]
    public Task<IResult> ListBankAccounts([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/bank-accounts")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.ListBankAccountsAsync(r.FirmId, r.Paging, c), ct);

    [Function("GetBankAccount")]
    public Task<IResult> GetBankAccount([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/bank-accounts/{bankAccountId}")] HttpRequest req, string firmId, string bankAccountId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.GetBankAccountAsync(r.FirmId, bankAccountId, c), ct);

    [Function("CreateNotificationSubscription")]
    public Task<IResult> CreateSubscription([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/notification-subscriptions")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleCreate(req, firmId, Roles.Admin, (r, c) => firms.CreateSubscriptionAsync(r.FirmId, r.Body!, c), ct);

    [Function("ListNotificationSubscriptions")]
    public Task<IResult> ListSubscriptions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/notification-subscriptions")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => firms.ListSubscriptionsAsync(r.FirmId, r.Paging, c), ct);

    [Function("DeleteNotificationSubscription")]
    public Task<IResult> DeleteSubscription([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/notification-subscriptions/{email}")] HttpRequest req, string firmId, string email, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Admin, (r, c) => firms.DeleteSubscriptionAsync(r.FirmId, email, c), ct);
}
