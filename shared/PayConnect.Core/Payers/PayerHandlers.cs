using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Payers;

/// <summary>Payers, their saved payment methods and their associations. Requests arrive validated.</summary>
public sealed class PayerHandlers(IRecordStore store, IMmsConnector mms, IClock clock, Authorizations.ScheduleAuthorizations authorizations, PayerCopies copies)
{
    public async Task<ApiResult> CreatePayerAsync(string firmId, CreatePayerRequest request, CancellationToken ct)
    {
        var payer = new Payer(Ids.New("py"), request.Name, request.Email, clock.GetCurrentInstant()) { Jurisdiction = request.Jurisdiction };
        var stored = await store.InsertAsync(firmId, payer, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/payers/{payer.Id}", PayerResponse.From(payer), stored.ETag);
    }

    public async Task<ApiResult> UpdatePayerAsync(string firmId, string payerId, UpdatePayerRequest request, string? ifMatch, CancellationToken ct)
    {
        var existing = await store.GetAsync<Payer>(firmId, payerId, ct);
        if (existing is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        try
        {
            var stored = await store.ReplaceAsync(firmId, existing.Value with { Name = request.Name, Email = request.Email, Jurisdiction = request.Jurisdiction }, ifMatch, ct);
            await copies.RefreshAsync(firmId, stored.Value, ct);
            return new ApiResult.Ok(PayerResponse.From(stored.Value), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    public async Task<ApiResult> GetContactsAsync(string firmId, string payerId, CancellationToken ct)
    {
        var payer = await store.GetAsync<Payer>(firmId, payerId, ct);
        return payer is null ? ApiResult.NotFoundOf("Payer", payerId) : new ApiResult.Ok(PayerContactsResponse.From(payer.Value), payer.ETag);
    }

    /// <summary>Sets where the payer's notices go and which they receive.</summary>
    public async Task<ApiResult> PutContactsAsync(string firmId, string payerId, PutPayerContactsRequest request, string? ifMatch, CancellationToken ct)
    {
        var existing = await store.GetAsync<Payer>(firmId, payerId, ct);
        if (existing is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var receives = (request.Receives ?? Enum.GetValues<PayerNoticeType>()).Distinct().Select(t => t.ToString()).ToList();
        var contacts = new PayerContacts(request.Emails.ToList(), receives, clock.GetCurrentInstant());
        try
        {
            var stored = await store.ReplaceAsync(firmId, existing.Value with { Contacts = contacts }, ifMatch ?? existing.ETag, ct);
            await copies.RefreshAsync(firmId, stored.Value, ct);
            return new ApiResult.Ok(PayerContactsResponse.From(stored.Value), stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    /// <summary>
    /// Deletes a payer whose schedules have all ended, with their payment methods, associations and schedules. Runs,
    /// postings and the schedules' authorization records stay (the firm's books; authorizations are kept two years after
    /// the last payment).
    /// </summary>
    public async Task<ApiResult> DeletePayerAsync(string firmId, string payerId, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var schedules = new List<Schedule>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<Schedule>(firmId, string.Empty, 1000, continuation, s => s.PayerId == payerId, ct);
            schedules.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        if (schedules.FirstOrDefault(s => s.State != ScheduleState.Ended) is { } running)
        {
            return new ApiResult.Conflict($"The payer's Auto-Pay '{running.Name}' has not ended; end it (or revoke its authorization) first.");
        }

        foreach (var schedule in schedules)
        {
            await authorizations.KeepAsync(firmId, schedule, ct);
            await store.DeleteAsync<Schedule>(firmId, schedule.Id, null, ct);
        }

        foreach (var method in (await store.ListAsync<PaymentMethod>(firmId, payerId + "~", 1000, null, null, ct)).Items)
        {
            await store.DeleteAsync<PaymentMethod>(firmId, method.Value.Key, null, ct);
        }

        foreach (var association in (await store.ListAsync<Association>(firmId, payerId + "~", 1000, null, null, ct)).Items)
        {
            await store.DeleteAsync<Association>(firmId, association.Value.Key, null, ct);
        }

        await store.DeleteAsync<Payer>(firmId, payerId, null, ct);
        return new ApiResult.NoContent();
    }

    public async Task<ApiResult> GetPayerAsync(string firmId, string payerId, CancellationToken ct)
    {
        var payer = await store.GetAsync<Payer>(firmId, payerId, ct);
        return payer is null ? ApiResult.NotFoundOf("Payer", payerId) : new ApiResult.Ok(PayerResponse.From(payer.Value), payer.ETag);
    }

    public async Task<ApiResult> ListPayersAsync(string firmId, Paging paging, CancellationToken ct) =>
        new ApiResult.Ok(Page<PayerResponse>.From(await store.ListAsync<Payer>(firmId, string.Empty, paging.PageSize, paging.Continuation, null, ct), PayerResponse.From));

    public async Task<ApiResult> CreatePaymentMethodAsync(string firmId, string payerId, CreatePaymentMethodRequest request, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var method = new PaymentMethod(Ids.New("pm"), payerId, request.Kind, request.Token, request.DisplayName, request.Last4, request.ExpiryMonth, request.ExpiryYear, clock.GetCurrentInstant(), request.MandateId)
        {
            Funding = request.Kind == PaymentMethodKind.Card ? request.Funding ?? Payments.CardFunding.Unknown : null,
        };
        var stored = await store.InsertAsync(firmId, method, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/payers/{payerId}/payment-methods/{method.Id}", PaymentMethodResponse.From(method), stored.ETag);
    }

    public async Task<ApiResult> ListPaymentMethodsAsync(string firmId, string payerId, Paging paging, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var page = await store.ListAsync<PaymentMethod>(firmId, payerId + "~", paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(Page<PaymentMethodResponse>.From(page, PaymentMethodResponse.From));
    }

    public async Task<ApiResult> DeletePaymentMethodAsync(string firmId, string payerId, string methodId, CancellationToken ct)
    {
        var inUse = await store.ListAsync<Schedule>(firmId, string.Empty, 1000, null,
            s => s.PayerId == payerId && s.PaymentMethodId == methodId && s.State != ScheduleState.Ended, ct);
        if (inUse.Items.Count > 0)
        {
            return new ApiResult.Conflict($"Payment method '{methodId}' is used by Auto-Pay '{inUse.Items[0].Value.Name}'; change or end that schedule first.");
        }

        return await store.DeleteAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(payerId, methodId), null, ct)
            ? new ApiResult.NoContent()
            : ApiResult.NotFoundOf("Payment method", methodId);
    }

    /// <summary>Creates one association per ticked search result, all or nothing.</summary>
    public async Task<ApiResult> CreateAssociationsAsync(string firmId, string payerId, CreateAssociationsRequest request, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var now = clock.GetCurrentInstant();
        var items = request.Items;
        var associations = new List<Association>(items.Count);
        var missing = new FieldErrors();
        var conflicts = new FieldErrors();
        for (var i = 0; i < items.Count; i++)
        {
            var scope = new MmsScope(items[i].Level, items[i].Number);
            MmsSearchResult? found;
            try
            {
                found = await mms.FindAsync(firmId, scope, ct);
            }
            catch (MmsUnavailableException ex)
            {
                // A firm-hosted MMS can be down; say so, as the search does, instead of failing with a 500.
                return new ApiResult.DependencyUnavailable($"The matter management system could not be reached; nothing was created: {ex.Message}");
            }

            if (found is null)
            {
                missing.Add($"items[{i}].number", $"No {scope.Level.ToString().ToLowerInvariant()} '{scope.Number}' in the matter management system.");
                continue;
            }

            var id = Association.IdOf(scope.Level, scope.Number);
            if (await store.GetAsync<Association>(firmId, Association.KeyOf(payerId, id), ct) is not null)
            {
                conflicts.Add($"items[{i}]", $"The payer is already associated with {found.DisplayName}.");
            }

            associations.Add(new Association(id, payerId, scope.Level, found.ClientNumber, found.MatterNumber, found.InvoiceNumber, found.DisplayName, now));
        }

        if (missing.Any)
        {
            return new ApiResult.Invalid(missing);
        }

        if (conflicts.Any)
        {
            return new ApiResult.Conflict("Some of these associations already exist; nothing was created.", conflicts);
        }

        try
        {
            await store.InsertAllAsync(firmId, associations, ct);
        }
        catch (ConcurrencyException)
        {
            return new ApiResult.Conflict("Some of these associations were created meanwhile; nothing was created.");
        }

        return new ApiResult.Created($"/api/firms/{firmId}/payers/{payerId}/associations",
            new AssociationsCreatedResponse(associations.Select(AssociationResponse.From).ToList()));
    }

    public async Task<ApiResult> ListAssociationsAsync(string firmId, string payerId, Paging paging, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var page = await store.ListAsync<Association>(firmId, payerId + "~", paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(Page<AssociationResponse>.From(page, AssociationResponse.From));
    }

    public async Task<ApiResult> DeleteAssociationAsync(string firmId, string payerId, string associationId, CancellationToken ct)
    {
        var enrolled = await store.ListAsync<Schedule>(firmId, string.Empty, 1000, null,
            s => s.PayerId == payerId && s.State != ScheduleState.Ended && s.EnrolledAssociationIds.Contains(associationId), ct);
        if (enrolled.Items.Count > 0)
        {
            return new ApiResult.Conflict($"Association '{associationId}' is enrolled in Auto-Pay '{enrolled.Items[0].Value.Name}'; unenroll it first.");
        }

        return await store.DeleteAsync<Association>(firmId, Association.KeyOf(payerId, associationId), null, ct)
            ? new ApiResult.NoContent()
            : ApiResult.NotFoundOf("Association", associationId);
    }
}
