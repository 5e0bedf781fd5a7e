using NodaTime;
using PayConnect.Integration.Tests.Infrastructure;
using static PayConnect.Integration.Tests.FanOut.ScheduleHarness;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>
/// SPEC §4: every Active schedule always has its next due run indexed. Each test fails Table Storage at every write of one
/// operation in turn (one schedule per write position): once, like a 503, or for good from that write on, like a process
/// that died there. The client retries a request that failed (or never answered), the fan-out ticks, and each schedule's
/// next run is sent exactly once, and the run after it too.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class IndexFaultTests(Emulators emulators)
{
    private static readonly LocalDate March10 = new(2026, 3, 10);
    private static readonly LocalDate March12 = new(2026, 3, 12);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_StorageFailureAtEachWrite_ThenRetry_TheScheduleStillRunsOnItsDates(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();

        // With an Idempotency-Key a create is five writes (the key, the schedule, its authorization's two retained
        // records, the result). After a crash the key stays taken by the request that never finished, so that client
        // retries with a new one.
        Task<HttpResponseData> Create(string key) =>
            h.Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", h.ScheduleBody(party, new { kind = "Monthly" }, "2026-03-10"),
                new Dictionary<string, string> { ["Idempotency-Key"] = key });
        h.Faults!.Count();
        var created = new List<string> { Ok(await Create(Guid.NewGuid().ToString("N")), 201).Json!["id"]!.GetValue<string>() };
        var writes = h.Faults.Writes;
        h.Faults.Disarm();
        Assert.Equal(5, writes);
        await h.EnrolAsync(created[0], party);
        for (var n = 1; n <= writes; n++)
        {
            var key = Guid.NewGuid().ToString("N");
            h.Faults.Arm(n, crash);
            HttpResponseData? answer = null;
            try
            {
                answer = await Create(key);
            }
            catch (IOException)
            {
            }

            Assert.True(h.Faults.Hit, $"write {n} of {writes} was not reached");
            h.Faults.Disarm();
            if (answer is not { Status: 201 } || crash)
            {
                answer = await Create(crash ? Guid.NewGuid().ToString("N") : key);
            }

            created.Add(Ok(answer, 201).Json!["id"]!.GetValue<string>());
            await h.EnrolAsync(created[^1], party);
        }

        await AssertEachRunSentOnceAsync(h, created, March10, March10.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Edit_MovingTheDate_StorageFailureAtEachWrite_ThenRetry_RunsOnTheNewDateOnce(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        var ids = await FailEachWriteAsync(
            h,
            crash,
            () => h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10"),
            id => h.Client.Put($"/api/firms/{Firm}/schedules/{id}", h.ScheduleBody(party, new { kind = "Monthly" }, "2026-03-12")));

        await AssertEachRunSentOnceAsync(h, ids, March12, March12.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Edit_KeepingTheDate_StorageFailureAtEachWrite_ThenRetry_StillRunsOnItsDateOnce(bool crash)
    {
        // The failure the issue found: the retried save answered 200 with the same date and the index stayed empty.
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        var ids = await FailEachWriteAsync(
            h,
            crash,
            () => h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10"),
            id => h.Client.Put($"/api/firms/{Firm}/schedules/{id}", h.ScheduleBody(party, new { kind = "Monthly" }, "2026-03-10", name: "Renamed")));

        await AssertEachRunSentOnceAsync(h, ids, March10, March10.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Enrol_StorageFailureAtEachWrite_ThenRetry_RunsOnItsDatesOnce(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        var ids = await FailEachWriteAsync(
            h,
            crash,
            () => h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10", enrol: false),
            id => h.Client.Put($"/api/firms/{Firm}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId } }));

        await AssertEachRunSentOnceAsync(h, ids, March10, March10.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pause_StorageFailureAtEachWrite_ThenRetry_SendsNothingWhilePaused_AndRunsOnceResumed(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        var ids = await FailEachWriteAsync(
            h,
            crash,
            () => h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10"),
            id => h.Client.Post($"/api/firms/{Firm}/schedules/{id}/pause", null));

        h.SetFirmTime(March10, 9);
        await h.TickAsync();
        Assert.Empty(await h.ReceiveAllAsync());

        // Resumed on the run date itself: that occurrence runs.
        foreach (var id in ids)
        {
            Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/resume", null), 200);
        }

        await AssertEachRunSentOnceAsync(h, ids, March10, March10.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Resume_StorageFailureAtEachWrite_ThenRetry_RunsOnItsDatesOnce(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        var ids = await FailEachWriteAsync(
            h,
            crash,
            async () =>
            {
                var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");
                Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{id}/pause", null), 200);
                return id;
            },
            id => h.Client.Post($"/api/firms/{Firm}/schedules/{id}/resume", null));

        await AssertEachRunSentOnceAsync(h, ids, March10, March10.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Skip_StorageFailureAtEachWrite_ThenRetry_TheSkipIsKept_AndEveryRunStillGoesOutOnce(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        var ids = await FailEachWriteAsync(
            h,
            crash,
            () => h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10"),
            id => h.Client.Post($"/api/firms/{Firm}/schedules/{id}/skips", new { date = "2026-03-10", reason = "Paying by cheque" }));

        foreach (var id in ids)
        {
            var skips = (await h.ScheduleAsync(id))["skips"]!.AsArray();
            Assert.Equal("2026-03-10", Assert.Single(skips)!["date"]!.GetValue<string>());
        }

        // The skipped date's run still goes out (the engine records it Skipped), and so does the next one.
        await AssertEachRunSentOnceAsync(h, ids, March10, March10.PlusMonths(1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FanOut_StorageFailureAtEachWrite_ThenTheNextTick_SendsEveryRunOnce_AndTheNextOnes(bool crash)
    {
        await using var h = await StartAsync(emulators, faulty: true);
        var party = await h.PartyAsync();
        const int days = 14;
        var byDate = new Dictionary<LocalDate, List<string>>();
        for (var d = 1; d <= days; d++)
        {
            // Three schedules a day, so that they share the fan-out's transactions and spread over its partitions.
            var date = new LocalDate(2026, 3, 1).PlusDays(d);
            byDate[date] = [];
            for (var i = 0; i < 3; i++)
            {
                byDate[date].Add(await h.CreateAsync(party, new { kind = "Monthly" }, NodaTime.Text.LocalDatePattern.Iso.Format(date)));
            }
        }

        var hit = new List<int>();
        for (var n = 1; n <= days; n++)
        {
            var date = new LocalDate(2026, 3, 1).PlusDays(n);
            h.SetFirmTime(date, 9);
            h.Faults!.Arm(n, crash);
            try
            {
                await h.TickAsync();
            }
            catch (IOException)
            {
            }

            if (h.Faults.Hit)
            {
                hit.Add(n);
            }

            h.Faults.Disarm();

            // The next tick comes after a lease the failed one left behind has run out.
            h.SetFirmTime(date, 9, 6);
            await h.TickAsync();
            await h.TickAsync();
        }

        Assert.True(hit.Count >= 8 && hit.Take(8).SequenceEqual(Enumerable.Range(1, 8)), $"failed at writes {string.Join(",", hit)}");
        var received = await h.ReceiveAllAsync();
        foreach (var (date, ids) in byDate)
        {
            foreach (var id in ids)
            {
                Assert.Equal([Key(id, date)], received.Where(r => r.Split('/')[1] == id));
            }
        }

        h.SetFirmTime(2026, 4, 16, 9);
        await h.TickAsync();
        await h.TickAsync();
        received = await h.ReceiveAllAsync();
        foreach (var (date, ids) in byDate)
        {
            foreach (var id in ids)
            {
                Assert.Equal([Key(id, date.PlusMonths(1))], received.Where(r => r.Split('/')[1] == id));
            }
        }
    }

    /// <summary>
    /// Prepares one schedule per write position of <paramref name="operation"/> (counted on a clean schedule),
    /// fails that write, and retries the request if it failed or, after a crash, never answered. Returns every schedule.
    /// </summary>
    private static async Task<List<string>> FailEachWriteAsync(ScheduleHarness h, bool crash, Func<Task<string>> prepare, Func<string, Task<HttpResponseData>> operation)
    {
        var faults = h.Faults!;

        // The first save also creates the fan-out's sweep cursor: count the writes on the second.
        var ids = new List<string> { await prepare(), await prepare() };
        Ok2xx(await operation(ids[0]));
        faults.Count();
        Ok2xx(await operation(ids[1]));
        var writes = faults.Writes;
        faults.Disarm();
        Assert.True(writes >= 2, $"the operation made {writes} writes");

        for (var n = 1; n <= writes; n++)
        {
            var id = await prepare();
            faults.Arm(n, crash);
            HttpResponseData? answer = null;
            try
            {
                answer = await operation(id);
            }
            catch (IOException)
            {
            }

            Assert.True(faults.Hit, $"write {n} of {writes} was not reached");
            faults.Disarm();
            if (answer is null || answer.Status >= 500 || crash)
            {
                answer = await operation(id);
            }

            Ok2xx(answer);
            ids.Add(id);
        }

        return ids;
    }

    private static HttpResponseData Ok2xx(HttpResponseData response)
    {
        Assert.True(response.Status is >= 200 and < 300, $"Expected success, got {response}");
        return response;
    }

    /// <summary>On <paramref name="date"/> and then on <paramref name="next"/>, the fan-out sends each schedule's run exactly once, and nothing else of it.</summary>
    private static async Task AssertEachRunSentOnceAsync(ScheduleHarness h, List<string> ids, LocalDate date, LocalDate next)
    {
        h.SetFirmTime(date, 9);
        await h.TickAsync();
        await h.TickAsync();
        var received = await h.ReceiveAllAsync();
        foreach (var id in ids)
        {
            Assert.Equal([Key(id, date)], received.Where(r => r.Split('/')[1] == id));
        }

        h.SetFirmTime(next, 9);
        await h.TickAsync();
        received = await h.ReceiveAllAsync();
        foreach (var id in ids)
        {
            Assert.Equal([Key(id, next)], received.Where(r => r.Split('/')[1] == id));
        }
    }
}
