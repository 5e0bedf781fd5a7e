using System.Text.Json.Nodes;
using PayConnect.Connect;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>Manage Postings and the run record through the HTTP functions, over postings written by real runs.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class PostingsApiTests(Emulators emulators) : RunTestBase(emulators)
{
    private Client _client = null!;
    private string _acmeSchedule = null!;
    private string _birchSchedule = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _client = new Client(Host) { FirmId = Firm, Roles = ["FirmStaff"] };
        _acmeSchedule = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-100"));
        _birchSchedule = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-200"));
        await Processor().HandleAsync(Message(KeyOf(_acmeSchedule)), default);
        await Processor().HandleAsync(Message(KeyOf(_birchSchedule, RunDate.PlusDays(10))), default);
    }

    [Fact]
    public async Task List_FiltersByStateDateRangePayerAndSchedule_AndPages()
    {
        var all = await ItemsAsync($"/api/firms/{Firm}/postings");
        var bySchedule = await ItemsAsync($"/api/firms/{Firm}/postings?scheduleId={_acmeSchedule}");
        var byDate = await ItemsAsync($"/api/firms/{Firm}/postings?from=2026-03-05&to=2026-03-31");
        var byPayer = await ItemsAsync($"/api/firms/{Firm}/postings?payerId={PayerId}&state=pending");
        var otherPayer = await ItemsAsync($"/api/firms/{Firm}/postings?payerId=py_nobody");
        var posted = await ItemsAsync($"/api/firms/{Firm}/postings?state=Posted");
        var firstPage = Ok(await _client.Get($"/api/firms/{Firm}/postings?pageSize=2"), 200).Json!;
        var secondPage = Ok(await _client.Get($"/api/firms/{Firm}/postings?pageSize=2&continuation={firstPage["continuation"]}"), 200).Json!;

        Assert.Equal(["INV-1001", "INV-1002", "INV-2001"], Numbers(all));
        Assert.Equal(["INV-1001", "INV-1002"], Numbers(bySchedule));
        Assert.Equal(["INV-2001"], Numbers(byDate));
        Assert.Equal(3, byPayer.Count);
        Assert.Empty(otherPayer);
        Assert.Empty(posted);
        Assert.Equal(3, firstPage["items"]!.AsArray().Count + secondPage["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("state=Bogus", "state")]
    [InlineData("from=03/01/2026", "from")]
    [InlineData("from=2026-03-10&to=2026-03-01", "to")]
    [InlineData("payerId=bad%20id", "payerId")]
    public async Task List_WithBadFilters_Answers400NamingTheField(string query, string field)
    {
        var response = await _client.Get($"/api/firms/{Firm}/postings?{query}");

        Assert.Equal(400, response.Status);
        Assert.NotNull(response.Json!["errors"]![field]);
    }

    [Fact]
    public async Task List_WithSeveralBadFilters_NamesEveryOneAtOnce_AndARepeatedFilter()
    {
        var several = await _client.Get($"/api/firms/{Firm}/postings?state=Bogus&from=03/01/2026&payerId=bad%20id&scheduleId={new string('s', 101)}");
        var repeated = await _client.Get($"/api/firms/{Firm}/postings?state=Pending&state=Posted");

        Assert.Equal(400, several.Status);
        Assert.Equal(["from", "payerId", "scheduleId", "state"], several.Json!["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(400, repeated.Status);
        Assert.NotNull(repeated.Json!["errors"]!["state"]);
    }

    [Fact]
    public async Task Void_WithACardNumberInTheReason_Answers400_AndChangesNothing()
    {
        var id = await PostingIdAsync("INV-1001");
        var before = await Host.SnapshotAsync();

        var response = await _client.Post($"/api/firms/{Firm}/postings/{id}/void", new { reason = "Paid with 4111 1111 1111 1111" });

        Assert.Equal(400, response.Status);
        Assert.NotNull(response.Json!["errors"]!["reason"]);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task MarkPostedThenVoid_ChangesTheStateAndTheAuditTrailShowsEveryChangeWithItsReason()
    {
        var id = await PostingIdAsync("INV-1001");

        var posted = Ok(await _client.Post($"/api/firms/{Firm}/postings/{id}/mark-posted", null), 200);
        var noReason = await _client.Post($"/api/firms/{Firm}/postings/{id}/void", new { reason = " " });
        var longReason = await _client.Post($"/api/firms/{Firm}/postings/{id}/void", new { reason = new string('x', 251) });
        var voided = Ok(await _client.Post($"/api/firms/{Firm}/postings/{id}/void", new { reason = "Refunded to the client by cheque" }), 200);
        var again = await _client.Post($"/api/firms/{Firm}/postings/{id}/void", new { reason = "twice" });
        var audit = Ok(await _client.Get($"/api/firms/{Firm}/postings/{id}/audit"), 200).Json!["items"]!.AsArray();

        Assert.Equal("Posted", posted.Json!["state"]!.GetValue<string>());
        Assert.Equal(400, noReason.Status);
        Assert.Equal(400, longReason.Status);
        Assert.Equal("Voided", voided.Json!["state"]!.GetValue<string>());
        Assert.Equal("Refunded to the client by cheque", voided.Json!["voidReason"]!.GetValue<string>());
        Assert.Equal(409, again.Status);
        Assert.Equal(["Created:Pending", "MarkPosted:Posted", "Void:Voided"], audit.Select(a => $"{a!["action"]}:{a["to"]}"));
        Assert.Equal("staff@firm-runs.test", audit[1]!["by"]!.GetValue<string>());
        Assert.Equal("Refunded to the client by cheque", audit[2]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task RetryFailedPosting_MovesItBackToPending_AndOnlyFailedPostingsCanBeRetried()
    {
        var id = await PostingIdAsync("INV-1002");
        var notFailed = await _client.Post($"/api/firms/{Firm}/postings/{id}/retry", null);
        _client.Roles = ["MmsSync"];
        Ok(await _client.Post($"/api/firms/{Firm}/postings/{id}/mark-failed", new { reason = "MMS rejected the receipt: period closed" }), 200);
        _client.Roles = ["FirmStaff"];

        var retried = Ok(await _client.Post($"/api/firms/{Firm}/postings/{id}/retry", null), 200);

        Assert.Equal(409, notFailed.Status);
        Assert.Equal("Pending", retried.Json!["state"]!.GetValue<string>());
        var audit = Ok(await _client.Get($"/api/firms/{Firm}/postings/{id}/audit"), 200).Json!["items"]!.AsArray();
        Assert.Equal(["Created", "MarkFailed", "Retry"], audit.Select(a => a!["action"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ChangeWithAStaleETag_Answers412AndChangesNothing()
    {
        var id = await PostingIdAsync("INV-1001");
        var etag = Ok(await _client.Get($"/api/firms/{Firm}/postings/{id}"), 200).Headers.ETag.ToString();
        Ok(await _client.Post($"/api/firms/{Firm}/postings/{id}/mark-posted", null, new Dictionary<string, string> { ["If-Match"] = etag }), 200);

        var stale = await _client.Post($"/api/firms/{Firm}/postings/{id}/void", new { reason = "late" }, new Dictionary<string, string> { ["If-Match"] = etag });

        Assert.Equal(412, stale.Status);
        Assert.Equal("Posted", Ok(await _client.Get($"/api/firms/{Firm}/postings/{id}"), 200).Json!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnotherFirm_Gets404ForThePostingsAndTheRun()
    {
        var id = await PostingIdAsync("INV-1001");
        var other = new Client(Host) { FirmId = "firm-other" };

        var viaOurRoute = await other.Get($"/api/firms/{Firm}/postings/{id}");
        var viaTheirRoute = await other.Get($"/api/firms/firm-other/postings/{id}");
        var voidViaTheirRoute = await other.Post($"/api/firms/firm-other/postings/{id}/void", new { reason = "not yours" });
        var run = await other.Get($"/api/firms/firm-other/runs/{_acmeSchedule}/2026-03-02");

        Assert.All(new[] { viaOurRoute, viaTheirRoute, voidViaTheirRoute, run }, r => Assert.Equal(404, r.Status));
        Assert.Equal("Pending", Ok(await _client.Get($"/api/firms/{Firm}/postings/{id}"), 200).Json!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetRun_ShowsTheStateChargeAndLinesOfARun()
    {
        var run = Ok(await _client.Get($"/api/firms/{Firm}/runs/{_acmeSchedule}/2026-03-02"), 200).Json!;
        var missing = await _client.Get($"/api/firms/{Firm}/runs/{_acmeSchedule}/2026-04-02");
        var badDate = await _client.Get($"/api/firms/{Firm}/runs/{_acmeSchedule}/March-2");

        Assert.Equal("Posted", run["state"]!.GetValue<string>());
        Assert.Equal(150025, run["amountMinor"]!.GetValue<long>());
        Assert.StartsWith("pi_sandbox_", run["chargeId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, run["lines"]!.AsArray().Count);
        Assert.DoesNotContain("pm_sandbox", run.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(404, missing.Status);
        Assert.Equal(400, badDate.Status);
    }

    private static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    private static List<string> Numbers(List<JsonNode> items) => items.Select(i => i["invoiceNumber"]!.GetValue<string>()).Order().ToList();

    private async Task<List<JsonNode>> ItemsAsync(string url) =>
        Ok(await _client.Get(url), 200).Json!["items"]!.AsArray().Select(n => n!).ToList();

    private async Task<string> PostingIdAsync(string invoiceNumber) =>
        (await ItemsAsync($"/api/firms/{Firm}/postings")).Single(p => p["invoiceNumber"]!.GetValue<string>() == invoiceNumber)["id"]!.GetValue<string>();
}
