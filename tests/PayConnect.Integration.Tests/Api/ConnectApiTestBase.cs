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
}
