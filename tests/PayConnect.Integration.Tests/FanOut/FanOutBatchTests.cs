using NodaTime;
using PayConnect.Connect;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Scheduling;
using static PayConnect.Integration.Tests.FanOut.ScheduleHarness;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>The fan-out's batches: what the index entries carry, and what happens when an entry no longer describes its schedule.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class FanOutBatchTests(Emulators emulators)
{
    [Fact]
    public async Task FanOut_ReadsNoScheduleOrSettings_WhenEveryEntryCarriesItsSchedule()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-02"));
        }

        h.SetFirmTime(2026, 3, 2, 9);
        var result = await h.TickAsync();

        Assert.Equal(6, result.RunsSent);
        Assert.Equal(0, result.SchedulesRead);
        Assert.Equal(ids.Select(id => Key(id, new LocalDate(2026, 3, 2))).Order(StringComparer.Ordinal), (await h.ReceiveAllAsync()).Order(StringComparer.Ordinal));
        foreach (var id in ids)
        {
            var next = await h.Host.Get<DueIndex>().EntryAsync(Firm, id, new LocalDate(2026, 4, 2), default);
            Assert.True(next is not null && next.Value.CarriesSchedule(), $"schedule {id} has no entry carrying it for 2026-04-02");
            Assert.Equal(next.Value.ScheduleETag, (await h.Store.GetAsync<Schedule>(Firm, id, default))!.ETag);
        }
    }

    [Fact]
    public async Task FanOut_ScheduleChangedSinceItsEntryWasWritten_ItsGroupFallsBackOneByOne_AndNoChangeIsLost()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-02"));
        }

        // Changed behind the index's back (as a save that died before its entry was rewritten would leave it).
        var changed = (await h.Store.GetAsync<Schedule>(Firm, ids[2], default))!;
        await h.Store.ReplaceAsync(Firm, changed.Value with { Name = "Renamed elsewhere" }, changed.ETag, default);

        h.SetFirmTime(2026, 3, 2, 9);
        var result = await h.TickAsync();
        var second = await h.TickAsync();

        Assert.Equal((5, 0), (result.RunsSent, second.RunsSent));
        Assert.Equal(1, result.SchedulesRead);
        Assert.Equal(ids.Select(id => Key(id, new LocalDate(2026, 3, 2))).Order(StringComparer.Ordinal), (await h.ReceiveAllAsync()).Order(StringComparer.Ordinal));
        var after = await h.ScheduleAsync(ids[2]);
        Assert.Equal("Renamed elsewhere", after["name"]!.GetValue<string>());
        Assert.Equal("2026-03-02", after["lastScheduledRunDate"]!.GetValue<string>());
        Assert.Equal("2026-04-02", after["nextRunDate"]!.GetValue<string>());
    }

    [Fact]
    public async Task FanOut_EntryLeftAtADateTheScheduleNoLongerRunsOn_SendsNothingForIt_AndIsRemoved()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-02");
        var index = h.Host.Get<DueIndex>();

        // An entry for 03-02 survives an edit to 03-05 (the edit's removal of it failed).
        var stale = await index.EntryAsync(Firm, id, new LocalDate(2026, 3, 2), default);
        Ok(await h.Client.Put($"/api/firms/{Firm}/schedules/{id}", h.ScheduleBody(party, new { kind = "Monthly" }, "2026-03-05")), 200);
        await h.Store.UpsertAsync(DueIndex.PartitionOf(new LocalDate(2026, 3, 2), Firm, id), stale!.Value, default);

        h.SetFirmTime(2026, 3, 2, 9);
        var early = await h.TickAsync();
        h.SetFirmTime(2026, 3, 5, 9);
        var onTime = await h.TickAsync();

        Assert.Equal(0, early.RunsSent);
        Assert.Equal(1, onTime.RunsSent);
        Assert.Equal([Key(id, new LocalDate(2026, 3, 5))], await h.ReceiveAllAsync());
        Assert.Null(await index.EntryAsync(Firm, id, new LocalDate(2026, 3, 2), default));
    }
}
