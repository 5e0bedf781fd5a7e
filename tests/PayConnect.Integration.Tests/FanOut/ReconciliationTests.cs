using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Functions.Health;
using PayConnect.Functions.Runs;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;
using static PayConnect.Integration.Tests.FanOut.ScheduleHarness;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>The daily reconciliation: schedules compared with the due index, each repair made, logged, counted and shown on /api/health.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class ReconciliationTests(Emulators emulators)
{
    private static readonly LocalDate March10 = new(2026, 3, 10);

    [Fact]
    public async Task Reconciliation_ScheduleWhoseEntryWasDeleted_IsIndexedAgain_AndItsMissedRunGoesOutOnceWithItsOwnDate()
    {
        await using var h = await StartAsync(emulators);
        using var metric = new RepairCounter();
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");
        var healthy = await h.CreateAsync(party, new { kind = "Weekly" }, "2026-03-04");
        await DeleteEntryAsync(h, id, March10);

        // The schedule has fallen silent: its date passes and nothing is sent.
        h.SetFirmTime(March10, 9);
        await h.TickAsync();
        Assert.DoesNotContain(await h.ReceiveAllAsync(), r => r.Split('/')[1] == id);

        h.SetFirmTime(2026, 3, 11, 3, 30);
        await h.Host.Function<DueIndexReconciliationFunction>().Run(new TimerInfo(), CancellationToken.None);
        var report = await h.Host.Get<DueIndex>().LastReconciliationAsync(default);
        await h.TickAsync();
        await h.TickAsync();
        var again = await h.Host.Get<DueIndexReconciler>().ReconcileAsync(default);

        Assert.Equal(1, report!.Repairs);
        Assert.Equal(1, report.RepairsByKind[nameof(DueIndexRepairKind.MissingEntry)]);
        Assert.Equal([Key(id, March10)], (await h.ReceiveAllAsync()).Where(r => r.Split('/')[1] == id));
        Assert.Empty(again.Repairs);
        Assert.Contains(nameof(DueIndexRepairKind.MissingEntry), metric.Kinds);
        Assert.Equal("2026-04-10", (await h.ScheduleAsync(id))["nextRunDate"]!.GetValue<string>());
        Assert.NotEqual(id, healthy);
    }

    [Fact]
    public async Task Reconciliation_WrongAndStaleEntries_AreRewrittenOrRemoved_AndEachScheduleRunsOnceOnItsDate()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var index = h.Host.Get<DueIndex>();
        var march20 = new LocalDate(2026, 3, 20);
        var otherZone = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-20");
        var oldVersion = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-20");
        var extraEntry = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-20");

        // An entry with another zone; an entry describing an earlier version; an entry on a date the schedule does not
        // run on; and an entry of a schedule that does not exist.
        var entry = (await index.EntryAsync(Firm, otherZone, march20, default))!;
        await h.Store.ReplaceAsync(entry.Value.Partition, entry.Value with { TimeZone = "Asia/Tokyo" }, entry.ETag, default);
        var schedule = (await h.Store.GetAsync<Schedule>(Firm, oldVersion, default))!;
        await h.Store.ReplaceAsync(Firm, schedule.Value with { Name = "Renamed behind the index" }, schedule.ETag, default);
        var extra = (await index.EntryAsync(Firm, extraEntry, march20, default))!.Value with { RunDate = new LocalDate(2026, 3, 25) };
        await h.Store.UpsertAsync(extra.Partition, extra, default);
        var orphan = new DueIndexEntry(Firm, "as_gone", new LocalDate(2026, 3, 22)) { WrittenAt = h.Host.Clock.GetCurrentInstant() - Duration.FromDays(1) };
        await h.Store.UpsertAsync(orphan.Partition, orphan, default);

        var result = await h.Host.Get<DueIndexReconciler>().ReconcileAsync(default);

        Assert.Equal(
            new[]
            {
                (DueIndexRepairKind.StaleEntry, "as_gone"),
                (DueIndexRepairKind.StaleEntry, extraEntry),
                (DueIndexRepairKind.WrongEntry, oldVersion),
                (DueIndexRepairKind.WrongEntry, otherZone),
            }.Order(),
            result.Repairs.Select(r => (r.Kind, r.ScheduleId!)).Order());
        Assert.Equal("America/Chicago", (await index.EntryAsync(Firm, otherZone, march20, default))!.Value.TimeZone);
        Assert.Equal((await h.Store.GetAsync<Schedule>(Firm, oldVersion, default))!.ETag, (await index.EntryAsync(Firm, oldVersion, march20, default))!.Value.ScheduleETag);
        Assert.Null(await index.EntryAsync(Firm, extraEntry, new LocalDate(2026, 3, 25), default));
        Assert.Null(await h.Store.GetAsync<DueIndexEntry>(orphan.Partition, orphan.Key, default));

        foreach (var day in new[] { 20, 22, 25 })
        {
            h.SetFirmTime(2026, 3, day, 9);
            var tick = await h.TickAsync();
            Assert.Equal(0, tick.SchedulesRead);
        }

        Assert.Equal(
            new[] { otherZone, oldVersion, extraEntry }.Select(id => Key(id, march20)).Order(StringComparer.Ordinal),
            (await h.ReceiveAllAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Reconciliation_ScheduleWhoseLastRunIsFinal_ButStayedActive_IsEnded_AndOneStillRunningIsNot()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var finished = await h.CreateAsync(party, new { kind = "Once" }, "2026-03-10");
        var stillRunning = await h.CreateAsync(party, new { kind = "Once" }, "2026-03-10");
        h.SetFirmTime(March10, 9);
        await h.TickAsync();
        await h.ReceiveAllAsync();

        // The runs were recorded, but the process died before the engine could end the first schedule.
        var now = h.Host.Clock.GetCurrentInstant();
        var ledger = h.Host.Get<RunLedger>();
        await ledger.CommitAsync(Firm, [RecordWrite.Insert(RunRecord.Begin(new RunKey(Firm, finished, March10), null, now).NothingDue(null, "Nothing outstanding.", paysOff: true, now))], default);
        await ledger.CommitAsync(Firm, [RecordWrite.Insert(RunRecord.Begin(new RunKey(Firm, stillRunning, March10), null, now))], default);

        var result = await h.Host.Get<DueIndexReconciler>().ReconcileAsync(default);

        var repair = Assert.Single(result.Repairs);
        Assert.Equal((DueIndexRepairKind.FinishedScheduleEnded, finished), (repair.Kind, repair.ScheduleId));
        var ended = await h.ScheduleAsync(finished);
        Assert.Equal(("Ended", "Completed"), (ended["state"]!.GetValue<string>(), ended["endReason"]!.GetValue<string>()));
        Assert.Equal("Active", (await h.ScheduleAsync(stillRunning))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reconciliation_SchedulesWhosePayerChangedWithoutThem_GetTheirCopyOfThePayerAgain()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var first = await h.CreateAsync(party, new { kind = "Weekly" }, "2026-03-04");
        var second = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");

        // A contacts change whose copies a failure interrupted: the payer has them, its schedules do not.
        var payer = (await h.Store.GetAsync<Payer>(Firm, party.PayerId, default))!;
        var contacts = new PayerContacts(["ap@acme.example"], ["PreChargeNotice", "PaymentReceipt"], h.Host.Clock.GetCurrentInstant());
        await h.Store.ReplaceAsync(Firm, payer.Value with { Contacts = contacts }, payer.ETag, default);

        var result = await h.Host.Get<DueIndexReconciler>().ReconcileAsync(default);
        var again = await h.Host.Get<DueIndexReconciler>().ReconcileAsync(default);

        Assert.Equal([DueIndexRepairKind.PayerCopyRefreshed], result.Repairs.Select(r => r.Kind));
        foreach (var id in new[] { first, second })
        {
            var copy = (await h.Store.GetAsync<Schedule>(Firm, id, default))!.Value.PayerCopy;
            Assert.Equal(["ap@acme.example"], copy!.Contacts!.Emails);
        }

        Assert.Empty(again.Repairs);
    }

    [Fact]
    public async Task Reconciliation_OfAHealthyIndex_RepairsNothing()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var weekly = await h.CreateAsync(party, new { kind = "Weekly" }, "2026-03-02");
        var paused = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-05");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{paused}/pause", null), 200);
        var ended = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-05");
        Ok(await h.Client.Post($"/api/firms/{Firm}/schedules/{ended}/end", null), 200);
        await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-06", enrol: false);
        Ok(await h.Client.Put($"/api/firms/{Firm}/schedules/{weekly}", h.ScheduleBody(party, new { kind = "Weekly" }, "2026-03-03")), 200);
        h.SetFirmTime(2026, 3, 10, 9);
        await h.SettleAsync();

        var result = await h.Host.Get<DueIndexReconciler>().ReconcileAsync(default);

        Assert.Empty(result.Repairs);
        Assert.Equal(4, result.SchedulesChecked);
    }

    [Fact]
    public async Task Health_ShowsTheLastReconciliationsRepairCount_AndNothingAboutWhichSchedules()
    {
        await using var h = await StartAsync(emulators);
        var party = await h.PartyAsync();
        var id = await h.CreateAsync(party, new { kind = "Monthly" }, "2026-03-10");
        var before = await HealthAsync(h);
        await DeleteEntryAsync(h, id, March10);
        await h.Host.Function<DueIndexReconciliationFunction>().Run(new TimerInfo(), CancellationToken.None);

        var after = await HealthAsync(h);

        Assert.Null(before.Json!["dueIndex"]!["repairs"]);
        Assert.Equal(200, after.Status);
        Assert.Equal(1, after.Json!["dueIndex"]!["repairs"]!.GetValue<int>());
        Assert.Equal(h.Host.Clock.GetCurrentInstant().ToString(), after.Json!["dueIndex"]!["lastReconciledAt"]!.GetValue<string>());
        foreach (var secret in new[] { id, Firm, "2026-03-10", "MissingEntry" })
        {
            Assert.DoesNotContain(secret, after.Body, StringComparison.Ordinal);
        }
    }

    private static async Task DeleteEntryAsync(ScheduleHarness h, string scheduleId, LocalDate date)
    {
        var entry = await h.Host.Get<DueIndex>().EntryAsync(Firm, scheduleId, date, default);
        Assert.NotNull(entry);
        Assert.True(await h.Store.DeleteAsync<DueIndexEntry>(entry.Value.Partition, entry.Value.Key, null, default));
    }

    private static async Task<HttpResponseData> HealthAsync(ScheduleHarness h)
    {
        var request = Requests.Create("GET", "/api/health", services: h.Host.Services);
        return await Responses.ReadAsync(await h.Host.Function<HealthFunction>().Run(request, CancellationToken.None), request);
    }

    /// <summary>Listens to the PayConnect meter's repair counter and keeps the kinds it counted.</summary>
    private sealed class RepairCounter : IDisposable
    {
        private readonly MeterListener _listener = new();

        public RepairCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == DueIndexMetrics.MeterName && instrument.Name == DueIndexMetrics.RepairsCounterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "kind" && value > 0)
                    {
                        Kinds.Add((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public ConcurrentBag<string> Kinds { get; } = [];

        public void Dispose() => _listener.Dispose();
    }
}
