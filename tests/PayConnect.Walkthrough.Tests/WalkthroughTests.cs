using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using PayConnect.DevHost.Development;

namespace PayConnect.Walkthrough.Tests;

/// <summary>The walkthrough's flow on a seeded dev host: what a developer sees after <c>bash tools/walkthrough.sh</c>.</summary>
public sealed class WalkthroughTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    [Fact]
    public async Task Walkthrough_OnTheDevHost_PostsTheApprovedRunFailsTheDeclinedOneAndEmailsTheSubscriberOnce()
    {
        var output = new StringWriter();
        var options = new WalkthroughOptions { BaseUrl = host.Http.BaseAddress! };

        var result = await new Walkthrough(host.Http, output, options).RunAsync();

        var approved = result.ApprovedRun;
        var charged = approved["amountMinor"]!.GetValue<long>();
        Assert.Equal("Posted", approved["state"]!.GetValue<string>());
        Assert.Equal(80000, charged);
        Assert.Equal(charged, result.ApprovedPostings.Sum(p => p["amountMinor"]!.GetValue<long>()));
        Assert.Equal(
            [$"WT-{result.RunId}-INV1:40000", $"WT-{result.RunId}-INV2:25000", $"WT-{result.RunId}-INV3:15000"],
            result.ApprovedPostings.Select(p => $"{p["invoiceNumber"]}:{p["amountMinor"]}"));

        var declined = result.DeclinedRun;
        Assert.Equal("Failed", declined["state"]!.GetValue<string>());
        var reason = declined["failureReason"]!.GetValue<string>();
        Assert.Contains("stolen_card", reason, StringComparison.Ordinal);

        var email = Assert.Single(result.FailureEmails);
        Assert.Equal([DemoSeed.Subscriber], email.To);
        Assert.StartsWith("Error-Failed AutoPay", email.Subject, StringComparison.Ordinal);
        Assert.Contains(result.DeclinedPayerName, email.Text, StringComparison.Ordinal);
        Assert.Contains(result.DeclinedScheduleName, email.Text, StringComparison.Ordinal);
        Assert.Contains(LocalDatePattern.Iso.Format(result.RunDate), email.Text, StringComparison.Ordinal);
        Assert.Contains("320.00 USD", email.Text, StringComparison.Ordinal);
        Assert.Contains(reason, email.Text, StringComparison.Ordinal);

        // Exactly one file in the sink for that run, whatever the scheduled timers did meanwhile.
        var index = await File.ReadAllLinesAsync(Path.Combine(host.MailFolder, "index.txt"));
        Assert.Single(index, l => l.Contains(result.DeclinedScheduleName, StringComparison.Ordinal));
        Assert.Contains("Walkthrough " + result.RunId + " passed", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoSeed_RunAgain_CreatesNothingTwice()
    {
        var payersBefore = await CountAsync("api/firms/demo-firm/payers?pageSize=200");
        var accountsBefore = await CountAsync("api/firms/demo-firm/bank-accounts?pageSize=200");

        var created = await new DemoSeed(host.Http, new StringWriter()).RunAsync();

        Assert.Equal(0, created);
        Assert.Equal(payersBefore, await CountAsync("api/firms/demo-firm/payers?pageSize=200"));
        Assert.Equal(accountsBefore, await CountAsync("api/firms/demo-firm/bank-accounts?pageSize=200"));
        Assert.Contains("Demo seed: ", host.SeedOutput.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Demo seed: everything was already there.", host.SeedOutput.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoSeed_CreatesSchedulesOfFourFrequenciesWithEnrollments()
    {
        var payers = (await GetAsync("api/firms/demo-firm/payers?pageSize=200"))["items"]!.AsArray();
        var schedules = new List<JsonNode>();
        foreach (var payer in payers.Where(p => !p!["name"]!.GetValue<string>().Contains("walkthrough", StringComparison.Ordinal)))
        {
            schedules.AddRange((await GetAsync($"api/firms/demo-firm/payers/{payer!["id"]}/schedules"))["items"]!.AsArray().Select(s => s!));
        }

        Assert.Equal(["Monthly", "Once", "TwiceMonthly", "Weekly"], schedules.Select(s => s["frequency"]!.GetValue<string>().Split(':')[0]).Distinct().Order());
        Assert.All(schedules, s => Assert.NotEmpty(s["enrolledAssociationIds"]!.AsArray()));
        Assert.Equal(3, payers.Count(p => !p!["name"]!.GetValue<string>().Contains("walkthrough", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DevClock_AdvancesByDaysOrToAnInstant_AndNeverGoesBack()
    {
        var before = InstantOf(await GetAsync("dev/clock"));

        using var byDays = await host.Http.PostAsJsonAsync("dev/clock/advance", new { days = 2 });
        var afterDays = InstantOf(JsonNode.Parse(await byDays.Content.ReadAsStringAsync())!);
        using var backwards = await host.Http.PostAsJsonAsync("dev/clock/advance", new { to = InstantPattern.ExtendedIso.Format(before) });
        using var both = await host.Http.PostAsJsonAsync("dev/clock/advance", new { to = "2030-01-01T00:00:00Z", days = 1 });

        Assert.Equal(HttpStatusCode.OK, byDays.StatusCode);
        Assert.True(afterDays - before >= Duration.FromDays(2), $"{before} -> {afterDays}");
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.True(InstantOf(await GetAsync("dev/clock")) >= afterDays);
    }

    [Fact]
    public async Task DevTimers_UnknownFunction_Answers404NamingTheTimers()
    {
        using var response = await host.Http.PostAsync("dev/timers/Nope/run", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("EmailOutbox, FanOut, PayerNotices, ReconcileDueIndex, RunDrain, RunSummary", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevMail_AFileNameThatIsAPath_IsRejected()
    {
        using var response = await host.Http.GetAsync("dev/mail/..%2Fsecret.eml");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public void DevEndpoints_AreNotFunctions_SoTheyNeverReachAzure()
    {
        var metadata = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata"));

        Assert.DoesNotContain("\"dev/", metadata, StringComparison.Ordinal);
        Assert.DoesNotContain("DevClock", metadata, StringComparison.Ordinal);
    }

    private async Task<int> CountAsync(string path) => (await GetAsync(path))["items"]!.AsArray().Count;

    private async Task<JsonNode> GetAsync(string path)
    {
        using var response = await host.Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} -> {(int)response.StatusCode}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static Instant InstantOf(JsonNode clock) => InstantPattern.ExtendedIso.Parse(clock["now"]!.GetValue<string>()).Value;
}
