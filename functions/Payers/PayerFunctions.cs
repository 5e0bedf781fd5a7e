using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Connect;
using PayConnect.Functions.Http;

namespace PayConnect.Functions.Payers;

/// <summary>Payers, their saved payment methods and their associations (the Connect tab).</summary>
public sealed class PayerFunctions(HttpApi api, PayerHandlers payers)
{
    [Function("CreatePayer")]
    public Task<IResult> CreatePayer([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleCreate(req, firmId, Roles.Staff, (r, c) => payers.CreatePayerAsync(r.FirmId, r.Body!, c), ct);

    [Function("ListPayers")]
    public Task<IResult> ListPayers([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.ListPayersAsync(r.FirmId, r.Paging, c), ct);

    [Function("GetPayer")]
    public Task<IResult> GetPayer([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.GetPayerAsync(r.FirmId, payerId, c), ct);

    [Function("UpdatePayer")]
    public Task<IResult> UpdatePayer([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/payers/{payerId}")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleWithBody(req, firmId, Roles.Staff, (r, c) => payers.UpdatePayerAsync(r.FirmId, payerId, r.Body!, r.IfMatch, c), ct);

    [Function("CreatePaymentMethod")]
    public Task<IResult> CreatePaymentMethod([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers/{payerId}/payment-methods")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleCreate(req, firmId, Roles.Staff, (r, c) => payers.CreatePaymentMethodAsync(r.FirmId, payerId, r.Body!, c), ct);

    [Function("ListPaymentMethods")]
    public Task<IResult> ListPaymentMethods([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/payment-methods")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.ListPaymentMethodsAsync(r.FirmId, payerId, r.Paging, c), ct);

    [Function("DeletePaymentMethod")]
    public Task<IResult> DeletePaymentMethod([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/payers/{payerId}/payment-methods/{paymentMethodId}")] HttpRequest req, string firmId, string payerId, string paymentMethodId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.DeletePaymentMethodAsync(r.FirmId, payerId, paymentMethodId, c), ct);

    [Function("CreateAssociations")]
    public Task<IResult> CreateAssociations([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers/{payerId}/associations")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleCreate(req, firmId, Roles.Staff, (r, c) => payers.CreateAssociationsAsync(r.FirmId, payerId, r.Body!, c), ct);

    [Function("ListAssociations")]
    public Task<IResult> ListAssociations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/associations")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.ListAssociationsAsync(r.FirmId, payerId, r.Paging, c), ct);

    [Function("DeleteAssociation")]
    public Task<IResult> DeleteAssociation([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/payers/{payerId}/associations/{associationId}")] HttpRequest req, string firmId, string payerId, string associationId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.DeleteAssociationAsync(r.FirmId, payerId, associationId, c), ct);
}
