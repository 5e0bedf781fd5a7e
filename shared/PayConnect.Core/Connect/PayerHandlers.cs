using NodaTime;
using PayConnect.Api;
using PayConnect.Mms;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Connect;

/// <summary>Payers, their saved payment methods and their associations.</summary>
public sealed class PayerHandlers(IRecordStore store, IMmsConnector mms, IClock clock)
{
    public const int MaxAssociationsPerRequest = 100;

    public async Task<ApiResult> CreatePayerAsync(string firmId, JsonBody body, CancellationToken ct)
    {
        var (name, email) = ReadPayer(body);
        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        var payer = new Payer(Ids.New("py"), name!, email, clock.GetCurrentInstant());
        var stored = await store.InsertAsync(firmId, payer, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/payers/{payer.Id}", payer, stored.ETag);
    }

    public async Task<ApiResult> UpdatePayerAsync(string firmId, string payerId, JsonBody body, string? ifMatch, CancellationToken ct)
    {
        var (name, email) = ReadPayer(body);
        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        var existing = await store.GetAsync<Payer>(firmId, payerId, ct);
        if (existing is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        try
        {
            var stored = await store.ReplaceAsync(firmId, existing.Value with { Name = name!, Email = email }, ifMatch, ct);
            return new ApiResult.Ok(stored.Value, stored.ETag);
        }
        catch (ConcurrencyException)
        {
            return ApiResult.StaleETag();
        }
    }

    public async Task<ApiResult> GetPayerAsync(string firmId, string payerId, CancellationToken ct)
    {
        var payer = await store.GetAsync<Payer>(firmId, payerId, ct);
        return payer is null ? ApiResult.NotFoundOf("Payer", payerId) : new ApiResult.Ok(payer.Value, payer.ETag);
    }

    public async Task<ApiResult> ListPayersAsync(string firmId, Paging paging, CancellationToken ct) =>
        new ApiResult.Ok(Paging.Body(await store.ListAsync<Payer>(firmId, string.Empty, paging.PageSize, paging.Continuation, null, ct)));

    public async Task<ApiResult> CreatePaymentMethodAsync(string firmId, string payerId, JsonBody body, CancellationToken ct)
    {
        var kind = body.Enum<PaymentMethodKind>("kind", required: true);
        var token = body.String("token", required: true, maxLength: 255, minLength: 3);
        var displayName = body.String("displayName", required: true, maxLength: 60);
        var last4 = body.String("last4", required: true, maxLength: 4, minLength: 4);
        var expiryMonth = body.Int("expiryMonth", required: kind == PaymentMethodKind.Card, 1, 12);
        var expiryYear = body.Int("expiryYear", required: kind == PaymentMethodKind.Card, 2000, 2100);
        if (token is not null && !PaymentTokens.IsAcceptable(token, out var why))
        {
            body.Errors.Add("token", why);
        }

        if (displayName is not null && PaymentTokens.ContainsCardNumber(displayName))
        {
            body.Errors.Add("displayName", "Must not contain a card or account number.");
        }

        if (last4 is not null && !last4.All(char.IsAsciiDigit))
        {
            body.Errors.Add("last4", "Must be four digits.");
        }

        if (kind == PaymentMethodKind.Ach && (body.Has("expiryMonth") || body.Has("expiryYear")))
        {
            body.Errors.Add("expiryMonth", "Bank accounts (Ach) have no expiry.");
        }

        // Optional, ACH only: the mandate the payer accepted when the bank account was saved (sent with every debit).
        var mandateId = body.String("mandateId", required: false, maxLength: Payments.GatewayIds.MaxLength);
        if (mandateId is not null && kind is not null && kind != PaymentMethodKind.Ach)
        {
            body.Errors.Add("mandateId", "Only bank accounts (Ach) carry a mandate.");
        }
        else if (mandateId is not null && !Payments.GatewayIds.IsMandateId(mandateId))
        {
            body.Errors.Add("mandateId", "Must be a Stripe mandate id: mandate_ followed by letters and digits.");
        }

        if (body.Has("cardNumber") || body.Has("number") || body.Has("cvv") || body.Has("cvc"))
        {
            body.Errors.Add("body", "Card numbers and security codes are never accepted; send the gateway token.");
        }

        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var method = new PaymentMethod(Ids.New("pm"), payerId, kind!.Value, token!, displayName!, last4!, expiryMonth, expiryYear, clock.GetCurrentInstant(), mandateId);
        var stored = await store.InsertAsync(firmId, method, ct);
        return new ApiResult.Created($"/api/firms/{firmId}/payers/{payerId}/payment-methods/{method.Id}", View(method), stored.ETag);
    }

    public async Task<ApiResult> ListPaymentMethodsAsync(string firmId, string payerId, Paging paging, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var page = await store.ListAsync<PaymentMethod>(firmId, payerId + "~", paging.PageSize, paging.Continuation, null, ct);
        return new ApiResult.Ok(new { items = page.Items.Select(i => View(i.Value)).ToList(), continuation = page.Continuation });
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
    public async Task<ApiResult> CreateAssociationsAsync(string firmId, string payerId, JsonBody body, CancellationToken ct)
    {
        var items = body.Array("items", required: true, MaxAssociationsPerRequest, item =>
        {
            var level = item.Enum<AssociationLevel>("level", required: true);
            var number = item.String("number", required: true, maxLength: 64);
            return level is null || number is null ? null : new MmsScope(level.Value, number);
        });
        if (items is not null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < items.Count; i++)
            {
                if (!seen.Add(Association.IdOf(items[i].Level, items[i].Number)))
                {
                    body.Errors.Add($"items[{i}]", "Appears more than once in this request.");
                }
            }
        }

        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
        }

        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        var now = clock.GetCurrentInstant();
        var associations = new List<Association>(items!.Count);
        var conflicts = new FieldErrors();
        for (var i = 0; i < items.Count; i++)
        {
            var scope = items[i];
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
                body.Errors.Add($"items[{i}].number", $"No {scope.Level.ToString().ToLowerInvariant()} '{scope.Number}' in the matter management system.");
                continue;
            }

            var id = Association.IdOf(scope.Level, scope.Number);
            if (await store.GetAsync<Association>(firmId, Association.KeyOf(payerId, id), ct) is not null)
            {
                conflicts.Add($"items[{i}]", $"The payer is already associated with {found.DisplayName}.");
            }

            associations.Add(new Association(id, payerId, scope.Level, found.ClientNumber, found.MatterNumber, found.InvoiceNumber, found.DisplayName, now));
        }

        if (body.Errors.Any)
        {
            return new ApiResult.Invalid(body.Errors);
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

        return new ApiResult.Created($"/api/firms/{firmId}/payers/{payerId}/associations", new { items = associations });
    }

    public async Task<ApiResult> ListAssociationsAsync(string firmId, string payerId, Paging paging, CancellationToken ct)
    {
        if (await store.GetAsync<Payer>(firmId, payerId, ct) is null)
        {
            return ApiResult.NotFoundOf("Payer", payerId);
        }

        return new ApiResult.Ok(Paging.Body(await store.ListAsync<Association>(firmId, payerId + "~", paging.PageSize, paging.Continuation, null, ct)));
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

    private static (string? Name, string? Email) ReadPayer(JsonBody body)
    {
        var name = body.String("name", required: true, maxLength: 200);
        var email = body.String("email", required: false, maxLength: 254);
        if (email is not null && !EmailAddresses.IsValid(email))
        {
            body.Errors.Add("email", "Must be an email address.");
        }

        return (name, email);
    }

    /// <summary>The token is the gateway's business; display data only goes back out.</summary>
    private static object View(PaymentMethod m) => new
    {
        id = m.Id,
        payerId = m.PayerId,
        kind = m.Kind,
        displayName = m.DisplayName,
        last4 = m.Last4,
        expiryMonth = m.ExpiryMonth,
        expiryYear = m.ExpiryYear,
        mandateId = m.MandateId,
        createdAt = m.CreatedAt,
    };
}

/// <summary>Guards against card numbers reaching storage (PCI DSS: tokens and display data only).</summary>
public static class PaymentTokens
{
    public static bool IsAcceptable(string token, out string why)
    {
        why = string.Empty;
        if (ContainsCardNumber(token))
        {
            why = "Looks like a card number; send the gateway's token instead, never the card number.";
            return false;
        }

        if (!token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '|' or ':' or '.'))
        {
            why = "May contain only letters, digits and _ - | : .";
            return false;
        }

        return true;
    }

    /// <summary>True when the text holds 12–19 digits in a row (spaces and dashes allowed) that pass the Luhn check.</summary>
    public static bool ContainsCardNumber(string text)
    {
        var digits = new List<int>();
        foreach (var c in text + "x")
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Add(c - '0');
            }
            else if (c is ' ' or '-' && digits.Count > 0)
            {
                continue;
            }
            else
            {
                if (digits.Count is >= 12 and <= 19 && Luhn(digits))
                {
                    return true;
                }

                if (digits.Count > 19)
                {
                    return true;
                }

                digits.Clear();
            }
        }

        return false;
    }

    private static bool Luhn(List<int> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[digits.Count - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }
}
