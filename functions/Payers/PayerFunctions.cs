using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Payers;

namespace PayConnect.Functions.Payers;

/// <summary>Payers, their saved payment methods and their associations (the Connect tab).</summary>
public sealed class PayerFunctions(HttpApi api, PayerHandlers payers)
{
    /// <summary>Adds a payer (a client or a third party who pays).</summary>
    [Function("CreatePayer")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(CreatePayerRequest), Response = typeof(PayerResponse), Idempotent = true, ETag = true)]
    public Task<IResult> CreatePayer([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.HandleCreate<CreatePayerRequest>(req, firmId, Roles.Staff, (r, body, c) => payers.CreatePayerAsync(r.FirmId, body, c), ct);

    /// <summary>Lists the firm's payers.</summary>
    [Function("ListPayers")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<PayerResponse>))]
    public Task<IResult> ListPayers([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers")] HttpRequest req, string firmId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.ListPayersAsync(r.FirmId, r.Paging, c), ct);

    /// <summary>Reads one payer.</summary>
    [Function("GetPayer")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(PayerResponse), ETag = true)]
    public Task<IResult> GetPayer([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.GetPayerAsync(r.FirmId, payerId, c), ct);

    /// <summary>Replaces a payer's name and email.</summary>
    [Function("UpdatePayer")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(UpdatePayerRequest), Response = typeof(PayerResponse), IfMatch = true, ETag = true)]
    public Task<IResult> UpdatePayer([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/payers/{payerId}")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle<UpdatePayerRequest>(req, firmId, Roles.Staff, (r, body, c) => payers.UpdatePayerAsync(r.FirmId, payerId, body, r.IfMatch, c), ct);

    /// <summary>Deletes a payer whose Auto-Pays have all ended, with their payment methods, associations and schedules; runs, postings and authorization records stay.</summary>
    [Function("DeletePayer")]
    [ApiOperation(Roles.FirmAdmin, Problems = [409])]
    public Task<IResult> DeletePayer([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/payers/{payerId}")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Admin, (r, c) => payers.DeletePayerAsync(r.FirmId, payerId, c), ct);

    /// <summary>Reads where a payer's notices go and which they receive.</summary>
    [Function("GetPayerContacts")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(PayerContactsResponse), ETag = true)]
    public Task<IResult> GetContacts([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/contacts")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.GetContactsAsync(r.FirmId, payerId, c), ct);

    /// <summary>Sets the addresses a payer's notices (pre-charge notices, receipts, expiry warnings) go to, and which they receive.</summary>
    [Function("PutPayerContacts")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(PutPayerContactsRequest), Response = typeof(PayerContactsResponse), IfMatch = true, ETag = true)]
    public Task<IResult> PutContacts([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "firms/{firmId}/payers/{payerId}/contacts")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle<PutPayerContactsRequest>(req, firmId, Roles.Staff, (r, body, c) => payers.PutContactsAsync(r.FirmId, payerId, body, r.IfMatch, c), ct);

    /// <summary>Saves a payment method of a payer: the gateway's token and display data, never a card number.</summary>
    [Function("CreatePaymentMethod")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(CreatePaymentMethodRequest), Response = typeof(PaymentMethodResponse), Idempotent = true, ETag = true)]
    public Task<IResult> CreatePaymentMethod([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers/{payerId}/payment-methods")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleCreate<CreatePaymentMethodRequest>(req, firmId, Roles.Staff, (r, body, c) => payers.CreatePaymentMethodAsync(r.FirmId, payerId, body, c), ct);

    /// <summary>Lists a payer's saved payment methods (display data only).</summary>
    [Function("ListPaymentMethods")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<PaymentMethodResponse>))]
    public Task<IResult> ListPaymentMethods([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/payment-methods")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.ListPaymentMethodsAsync(r.FirmId, payerId, r.Paging, c), ct);

    /// <summary>Deletes a saved payment method that no active Auto-Pay uses.</summary>
    [Function("DeletePaymentMethod")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Problems = [409])]
    public Task<IResult> DeletePaymentMethod([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/payers/{payerId}/payment-methods/{paymentMethodId}")] HttpRequest req, string firmId, string payerId, string paymentMethodId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.DeletePaymentMethodAsync(r.FirmId, payerId, paymentMethodId, c), ct);

    /// <summary>Associates the payer with ticked MMS search results (clients, matters or invoices), all or nothing.</summary>
    [Function("CreateAssociations")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Request = typeof(CreateAssociationsRequest), Response = typeof(AssociationsCreatedResponse), Idempotent = true, Problems = [409, 503])]
    public Task<IResult> CreateAssociations([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "firms/{firmId}/payers/{payerId}/associations")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.HandleCreate<CreateAssociationsRequest>(req, firmId, Roles.Staff, (r, body, c) => payers.CreateAssociationsAsync(r.FirmId, payerId, body, c), ct);

    /// <summary>Lists a payer's associations.</summary>
    [Function("ListAssociations")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Response = typeof(Page<AssociationResponse>))]
    public Task<IResult> ListAssociations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "firms/{firmId}/payers/{payerId}/associations")] HttpRequest req, string firmId, string payerId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.ListAssociationsAsync(r.FirmId, payerId, r.Paging, c), ct);

    /// <summary>Deletes an association that no active Auto-Pay has enrolled.</summary>
    [Function("DeleteAssociation")]
    [ApiOperation(Roles.FirmAdmin, Roles.FirmStaff, Problems = [409])]
    public Task<IResult> DeleteAssociation([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "firms/{firmId}/payers/{payerId}/associations/{associationId}")] HttpRequest req, string firmId, string payerId, string associationId, CancellationToken ct) =>
        api.Handle(req, firmId, Roles.Staff, (r, c) => payers.DeleteAssociationAsync(r.FirmId, payerId, associationId, c), ct);
}
