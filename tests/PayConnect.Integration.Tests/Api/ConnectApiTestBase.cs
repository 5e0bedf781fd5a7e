using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>A host over the shared emulators, a client signed in as firm A, and a seeded MMS mirror.</summary>
public abstract class ConnectApiTestBase(Emulators emulators) : IAsyncLifetime
{
    protected const string FirmA = "firm-a";
    protected const string FirmB = "firm-b";

    protected Emulators Emulators { get; } = emulators;

    protected TestHost Host { get; private set; } = null!;

    protected Client Client { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Host = new TestHost(Emulators);
        Client = new Client(Host) { FirmId = FirmA };
        await SeedFirmAsync(FirmA);
    }

    public virtual async Task DisposeAsync() => await Host.DisposeAsync();

    protected async Task SeedFirmAsync(string firmId)
    {
        var saved = Client.FirmId;
        Client.FirmId = firmId;
        Ok(await Client.Put($"/api/firms/{firmId}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        Ok(await Client.Post($"/api/firms/{firmId}/mms/ingest", new
        {
            clients = new[] { new { number = "C-100", name = "Acme Holdings" }, new { number = "C-200", name = "Birch Family Trust" } },
            matters = new[]
            {
                new { number = "M-100-1", name = "Acme v. Widget Co", clientNumber = "C-100" },
                new { number = "M-100-2", name = "Acme Lease Review", clientNumber = "C-100" },
                new { number = "M-200-1", name = "Birch Estate Planning", clientNumber = "C-200" },
            },
            invoices = new[]
            {
                new { number = "INV-1001", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 1200.00m },
                new { number = "INV-1002", clientNumber = "C-100", matterNumber = "M-100-2", invoiceDate = "2026-02-05", dueDate = "2026-03-07", total = 800.50m, outstandingBalance = 300.25m },
                new { number = "INV-2001", clientNumber = "C-200", matterNumber = "M-200-1", invoiceDate = "2026-01-20", dueDate = "2026-02-19", total = 450.00m, outstandingBalance = 450.00m },
            },
        }), 200);
        Client.FirmId = saved;
    }

    protected static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    protected async Task<string> CreatePayerAsync(string name = "Acme Holdings AP")
    {
        var response = Ok(await Client.Post($"/api/firms/{FirmA}/payers", new { name, email = "ap@acme.test" }), 201);
        return response.Json!["id"]!.GetValue<string>();
    }

    /// <summary>What an Auto-Pay is set up with: a payer, a saved method, a firm bank account and one association.</summary>
    protected sealed record AutoPayParty(string PayerId, string PaymentMethodId, string BankAccountId, string AssociationId);

    /// <summary>A new payer with a saved method (a card, or a bank account when <paramref name="kind"/> is Ach) associated with a client.</summary>
    protected async Task<AutoPayParty> CreatePartyAsync(string token = "pm_sandbox_approve", string kind = "Card", string clientNumber = "C-100")
    {
        var payerId = await CreatePayerAsync();
        object method = kind == "Card"
            ? new { kind, token, displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030 }
            : new { kind, token, displayName = "First Bank", last4 = "1111" };
        var methodId = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/payment-methods", method), 201).Json!["id"]!.GetValue<string>();
        var bankId = Ok(await Client.Post($"/api/firms/{FirmA}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "1234" }), 201).Json!["id"]!.GetValue<string>();
        var associationId = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new { items = new[] { new { level = "Client", number = clientNumber } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        return new AutoPayParty(payerId, methodId, bankId, associationId);
    }

    /// <summary>Creates an Auto-Pay for the party and enrolls its association; PayAllOutstanding unless a rule is given.</summary>
    protected async Task<string> CreateAutoPayAsync(AutoPayParty party, object frequency, string firstRunDate, object? amountRule = null, string name = "Auto-Pay", string? arMessage = null)
    {
        var id = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.PaymentMethodId,
            name,
            bankAccountId = party.BankAccountId,
            arMessage,
            frequency,
            firstRunDate,
            amountRule = amountRule ?? new { kind = "PayAllOutstanding" },
        }), 201).Json!["id"]!.GetValue<string>();
        Ok(await Client.Put($"/api/firms/{FirmA}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);
        return id;
    }
}
