using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

[Collection(EmulatorCollection.Name)]
public sealed class AssociationFlowTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Theory]
    [InlineData("ClientName", "acme", "Client", "C-100")]
    [InlineData("ClientNumber", "c-2", "Client", "C-200")]
    [InlineData("MatterNumber", "M-100-2", "Matter", "M-100-2")]
    [InlineData("MatterName", "ESTATE", "Matter", "M-200-1")]
    [InlineData("InvoiceNumber", "inv-100", "Invoice", "INV-1001")]
    public async Task Search_ByEachCriterion_FindsTickableResultsCaseInsensitively(string by, string q, string level, string firstNumber)
    {
        var response = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by={by}&q={q}"), 200);

        var first = response.Json!["items"]![0]!;
        Assert.Equal(level, first["level"]!.GetValue<string>());
        Assert.Equal(firstNumber, first["number"]!.GetValue<string>());
    }

    [Fact]
    public async Task Search_PagesWithContinuationTokens_UntilEveryResultIsSeen()
    {
        var numbers = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var url = $"/api/firms/{FirmA}/mms/search?by=InvoiceNumber&q=INV&pageSize=1" + (continuation is null ? "" : "&continuation=" + continuation);
            var page = Ok(await Client.Get(url), 200).Json!;
            numbers.AddRange(page["items"]!.AsArray().Select(i => i!["number"]!.GetValue<string>()));
            continuation = page["continuation"]?.GetValue<string>();
            pages++;
        }
        while (continuation is not null && pages < 10);

        Assert.Equal(["INV-1001", "INV-1002", "INV-2001"], numbers);
    }

    [Fact]
    public async Task CreateAssociations_FromTickedResults_CreatesOnePerResultAtEachLevel()
    {
        var payerId = await CreatePayerAsync();

        var created = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new
        {
            items = new[] { new { level = "Client", number = "C-200" }, new { level = "Matter", number = "M-100-1" }, new { level = "Invoice", number = "INV-1002" } },
        }), 201);
        var listed = Ok(await Client.Get($"/api/firms/{FirmA}/payers/{payerId}/associations"), 200);

        Assert.Equal(3, created.Json!["items"]!.AsArray().Count);
        var levels = listed.Json!["items"]!.AsArray().Select(i => $"{i!["level"]}:{i["clientNumber"]}:{i["displayName"]}").OrderBy(x => x).ToList();
        Assert.Equal(["Client:C-200:C-200 Birch Family Trust", "Invoice:C-100:Invoice INV-1002", "Matter:C-100:M-100-1 Acme v. Widget Co"], levels);
    }

    [Fact]
    public async Task CreateAssociations_DuplicateOfExisting_IsRejectedWithAClearErrorAndCreatesNothing()
    {
        var payerId = await CreatePayerAsync();
        Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new { items = new[] { new { level = "Client", number = "C-100" } } }), 201);
        var before = await Host.SnapshotAsync();

        var again = await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new
        {
            items = new[] { new { level = "Matter", number = "M-200-1" }, new { level = "Client", number = "c-100" } },
        });

        Assert.Equal(409, again.Status);
        Assert.Equal("application/problem+json", again.ContentType);
        Assert.Contains("already associated", again.Json!["errors"]!["items[1]"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task CreatePayer_RepeatedWithSameIdempotencyKey_ReturnsTheFirstResultAndCreatesOnePayer()
    {
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "create-payer-1" };
        var first = Ok(await Client.Post($"/api/firms/{FirmA}/payers", new { name = "Once Only" }, headers), 201);
        var second = Ok(await Client.Post($"/api/firms/{FirmA}/payers", new { name = "Once Only" }, headers), 201);
        var list = Ok(await Client.Get($"/api/firms/{FirmA}/payers"), 200);

        Assert.Equal(first.Json!["id"]!.GetValue<string>(), second.Json!["id"]!.GetValue<string>());
        Assert.Equal(1, list.Json!["items"]!.AsArray().Count(p => p!["name"]!.GetValue<string>() == "Once Only"));
    }

    [Fact]
    public async Task UpdatePayer_WithStaleETag_Answers412AndKeepsTheNewerVersion()
    {
        var created = Ok(await Client.Post($"/api/firms/{FirmA}/payers", new { name = "Version One" }), 201);
        var id = created.Json!["id"]!.GetValue<string>();
        var etag = created.Headers.ETag.ToString();
        Ok(await Client.Put($"/api/firms/{FirmA}/payers/{id}", new { name = "Version Two" }, new Dictionary<string, string> { ["If-Match"] = etag }), 200);

        var stale = await Client.Put($"/api/firms/{FirmA}/payers/{id}", new { name = "Version Three" }, new Dictionary<string, string> { ["If-Match"] = etag });

        Assert.Equal(412, stale.Status);
        Assert.Equal("Version Two", Ok(await Client.Get($"/api/firms/{FirmA}/payers/{id}"), 200).Json!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task PaymentMethod_IsListedWithDisplayDataOnly_NeverItsToken()
    {
        var payerId = await CreatePayerAsync();
        Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/payment-methods", new { kind = "Card", token = "pm_sandbox_approve", displayName = "Visa", last4 = "4242", expiryMonth = 12, expiryYear = 2030 }), 201);

        var listed = Ok(await Client.Get($"/api/firms/{FirmA}/payers/{payerId}/payment-methods"), 200);

        Assert.Equal("4242", listed.Json!["items"]![0]!["last4"]!.GetValue<string>());
        Assert.DoesNotContain("pm_sandbox_approve", listed.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MmsIngest_WithOneBadRow_RejectsTheBatchNamingTheRowAndStoresNothing()
    {
        var before = await Host.SnapshotAsync();

        var response = await Client.Post($"/api/firms/{FirmA}/mms/ingest", new
        {
            clients = new object[] { new { number = "C-300", name = "New Client" } },
            invoices = new object[]
            {
                new { number = "INV-3001", clientNumber = "C-300", matterNumber = "M-1", invoiceDate = "2026-03-01", dueDate = "2026-03-31", total = 10m, outstandingBalance = 10m },
                new { number = "INV-3002", clientNumber = "C-300", matterNumber = "M-1", invoiceDate = "2026-03-01", dueDate = "2026-03-31", total = 10m, outstandingBalance = 12.345m },
            },
        });

        Assert.Equal(400, response.Status);
        Assert.True(response.Json!["errors"]!.AsObject().ContainsKey("invoices[1].outstandingBalance"), response.Body);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task MmsIngest_SameBatchTwice_IsIdempotent()
    {
        var batch = new { clients = new[] { new { number = "C-900", name = "Repeat Client" } } };
        Ok(await Client.Post($"/api/firms/{FirmA}/mms/ingest", batch), 200);
        Ok(await Client.Post($"/api/firms/{FirmA}/mms/ingest", batch), 200);

        var found = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientNumber&q=C-900"), 200);
        Assert.Single(found.Json!["items"]!.AsArray());
    }
}
