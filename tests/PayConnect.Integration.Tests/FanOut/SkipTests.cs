using System.Text.Json.Nodes;
using PayConnect.Integration.Tests.Infrastructure;
using static PayConnect.Integration.Tests.FanOut.ScheduleHarness;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>Staff skip one future occurrence (a client paying by cheque one month) and undo it, through the API.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class SkipTests(Emulators emulators)
{
    [Fact]
    public async Task SkippedOccurrence_ShowsInThePreview_IsRecordedSkippedWithWhoAndWhy_AndTheNextOneCharges()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");

        var skipped = Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-04-10", reason = "Paying by cheque in April" }), 201);
        var preview = Ok(await h.Client.Get($"/api/firms/{Firm}/schedules/{id}/upcoming?count=3"), 200).Json!;

        Assert.Equal($"/api/firms/{Firm}/schedules/{id}/skips/2026-04-10", skipped.Headers.Location.ToString());
        Assert.Equal(["2026-03-10", "2026-04-10", "2026-05-10"], preview["dates"]!.AsArray().Select(d => d!.GetValue<string>()));
        var occurrences = preview["occurrences"]!.AsArray();
        Assert.Equal([false, true, false], occurrences.Select(o => o!["skipped"]!.GetValue<bool>()));
        Assert.Equal($"staff@{Firm}.test", occurrences[1]!["skippedBy"]!.GetValue<string>());
        Assert.Equal("Paying by cheque in April", occurrences[1]!["reason"]!.GetValue<string>());

        foreach (var day in new[] { 10, 11 })
        {
            h.SetFirmTime(2026, 3, day, 9);
            await h.SettleAsync();
        }

        h.SetFirmTime(2026, 4, 10, 9);
        await h.SettleAsync();
        h.SetFirmTime(2026, 5, 10, 9);
        await h.SettleAsync();

        var april = await RunAsync(h, id, "2026-04-10");
        Assert.Equal("Skipped", april["state"]!.GetValue<string>());
        Assert.Equal("skipped", april["failureCode"]!.GetValue<string>());
        Assert.Equal($"staff@{Firm}.test", april["skippedBy"]!.GetValue<string>());
        Assert.Contains("Paying by cheque in April", april["failureReason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Posted", (await RunAsync(h, id, "2026-03-10"))["state"]!.GetValue<string>());
        Assert.Equal("Posted", (await RunAsync(h, id, "2026-05-10"))["state"]!.GetValue<string>());
        Assert.Equal(2, h.Charges().Count);
    }

    [Fact]
    public async Task Unskip_BeforeTheDate_TheOccurrenceChargesAsUsual()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-03-10" }), 201);

        var undone = Ok(await h.Client.Delete($"/api/firms/{Firm}/schedules/{id}/skips/2026-03-10"), 200).Json!;
        var preview = Ok(await h.Client.Get($"/api/firms/{Firm}/schedules/{id}/upcoming?count=1"), 200).Json!;
        h.SetFirmTime(2026, 3, 10, 9);
        await h.SettleAsync();

        Assert.Empty(undone["skips"]!.AsArray());
        Assert.False(preview["occurrences"]![0]!["skipped"]!.GetValue<bool>());
        Assert.Equal("Posted", (await RunAsync(h, id, "2026-03-10"))["state"]!.GetValue<string>());
        Assert.Single(h.Charges());
    }

    [Fact]
    public async Task SkippedRun_AmongRunsCaughtUpAfterDowntime_IsFinal_AndDoesNotHoldUpTheRunAfterIt()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Weekly" }, "2026-03-02");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-03-09", reason = "Cheque" }), 201);

        // Down for two weeks: the three runs go out together, each naming the one before it.
        h.SetFirmTime(2026, 3, 16, 9);
        var started = DateTime.UtcNow;
        await h.SettleAsync();

        Assert.Equal("Posted", (await RunAsync(h, id, "2026-03-02"))["state"]!.GetValue<string>());
        Assert.Equal("Skipped", (await RunAsync(h, id, "2026-03-09"))["state"]!.GetValue<string>());
        Assert.Equal("Posted", (await RunAsync(h, id, "2026-03-16"))["state"]!.GetValue<string>());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the run after the skipped one waited for it");
    }

    [Fact]
    public async Task LastOccurrenceSkipped_TheScheduleEndsAfterIt()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Once" }, "2026-03-10");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-03-10" }), 201);

        h.SetFirmTime(2026, 3, 10, 9);
        await h.SettleAsync();

        Assert.Equal("Skipped", (await RunAsync(h, id, "2026-03-10"))["state"]!.GetValue<string>());
        Assert.Equal("Ended", (await h.ScheduleAsync(id))["state"]!.GetValue<string>());
        Assert.Empty(h.Charges());
    }

    [Fact]
    public async Task Skip_TwiceTheSameDate_AnswersTheSameSkip()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");

        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-04-10", reason = "first" }), 201);
        var again = Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-04-10", reason = "second" }), 200).Json!;

        var skip = Assert.Single(again["skips"]!.AsArray())!;
        Assert.Equal("first", skip["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("2026-03-01", "date")]
    [InlineData("2026-02-20", "date")]
    [InlineData("2026-03-11", "date")]
    [InlineData("2028-03-10", "date")]
    [InlineData("not-a-date", "date")]
    public async Task Skip_OfADateThatIsNotAComingOccurrence_Answers400NamingTheField_AndChangesNothing(string date, string field)
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-01");
        var before = await h.Host.SnapshotAsync();

        var response = await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date });

        Assert.Equal(400, response.Status);
        Assert.True(response.Json!["errors"]![field] is JsonArray, response.Body);
        Assert.Equal(before, await h.Host.SnapshotAsync());
    }

    [Fact]
    public async Task Skip_OnAnEndedSchedule_Answers409_AndOfAnotherFirm_Answers404()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/end", null), 200);

        var ended = await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-04-10" });
        h.Client.FirmId = "firm-other";
        var other = await h.Client.Post($"/api/firms/firm-other/schedules/{id}/skips", new { date = "2026-04-10" });

        Assert.Equal(409, ended.Status);
        Assert.Equal(404, other.Status);
    }

    [Fact]
    public async Task Unskip_OfADateNotSkipped_Answers404_AndOfAPastSkip_Answers409()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Weekly" }, "2026-03-02");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-03-09" }), 201);

        var notSkipped = await h.Client.Delete($"/api/firms/{Firm}/schedules/{id}/skips/2026-03-16");
        h.SetFirmTime(2026, 3, 9, 9);
        var tooLate = await h.Client.Delete($"/api/firms/{Firm}/schedules/{id}/skips/2026-03-09");

        Assert.Equal(404, notSkipped.Status);
        Assert.Equal(409, tooLate.Status);
    }

    private static async Task<JsonNode> RunAsync(ScheduleHarness h, string scheduleId, string date) =>
        Ok(await h.Client.Get($"/api/firms/{Firm}/runs/{scheduleId}/{date}"), 200).Json!;
}
