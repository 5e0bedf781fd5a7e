using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Notices;

/// <summary>
/// What surrounds an Auto-Pay for its payer, driven as staff and the timers drive it on the emulators: the authorization
/// records and their versions, the pre-charge notice (its lead per payment kind, exactly once per run, never a charge
/// before it), receipts, the expiry warning and re-authorization, make-up after a failed run, the daily digest and the
/// unsubscribe link. Days pass by the fake clock; each day the PayerNotices, FanOut, RunDrain and EmailOutbox timers run.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed partial class AuthorizationLifecycleTests(Emulators emulators) : IAsyncLifetime
{
    private const string Firm = "firm-notices";
    private static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];

    private readonly List<TestHost> _hosts = [];

    private TestHost Host { get; set; } = null!;

    private Client Client { get; set; } = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task AuthorizationLifecycle_WideningChangesRecordNewVersions_EarlierVersionsNeverChange_NarrowingRecordsNone()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m },
            authorization: new { method = "SignedForm", reference = "Form AP-2026-0042" });

        // Created (version 1, no scope yet), then enrolled (version 2: the scope widened), both on the signed form.
        var first = await AuthorizationsAsync(schedule);
        Assert.Equal(2, first["versions"]!.AsArray().Count);
        Assert.Contains("scope", first["versions"]![1]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var v1 = first["versions"]![1]!;
        Assert.Equal("SignedForm", v1["capture"]!["method"]!.GetValue<string>());
        Assert.Equal("Form AP-2026-0042", v1["capture"]!["reference"]!.GetValue<string>());
        Assert.Equal(40000, v1["terms"]!["capMinor"]!.GetValue<long>());
        Assert.Contains("Payer of C-100", v1["text"]!.GetValue<string>(), StringComparison.Ordinal);

        // A higher cap widens what the payer authorized: version 2. A lower one narrows it: no new version.
        await UpdateAsync(schedule, party, new { kind = "UpTo", cap = 900.00m }, new { method = "PayerEConsent", reference = "consent-7781" });
        await UpdateAsync(schedule, party, new { kind = "UpTo", cap = 500.00m }, null);

        var after = await AuthorizationsAsync(schedule);
        var versions = after["versions"]!.AsArray();
        Assert.Equal(3, versions.Count);
        Assert.Equal(3, after["currentVersion"]!.GetValue<int>());
        Assert.Equal(90000, versions[2]!["terms"]!["capMinor"]!.GetValue<long>());
        Assert.Equal("PayerEConsent", versions[2]!["capture"]!["method"]!.GetValue<string>());
        Assert.Contains("amount", versions[2]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // Version 2 is exactly what it was, apart from no longer being the one in effect.
        var before = v1.DeepClone().AsObject();
        var now = versions[1]!.DeepClone().AsObject();
        Assert.True(before["inEffect"]!.GetValue<bool>());
        Assert.False(now["inEffect"]!.GetValue<bool>());
        before.Remove("inEffect");
        now.Remove("inEffect");
        Assert.True(JsonNode.DeepEquals(before, now), $"Version 2 changed:\n{before}\n{now}");
    }

    [Fact]
    public async Task AuthorizationLifecycle_RevocationEndsTheScheduleAtOnce_AndNoLaterRunCharges()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m });
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Single(Charges());

        SetFirmTime(2026, 3, 5);
        var inEffect = (await AuthorizationsAsync(schedule))["currentVersion"]!.GetValue<int>();
        var revoked = Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/revoke", new { payersWord = "Phone call from the payer on 2026-03-05 asking to stop." }), 200).Json!;
        Assert.Equal("Ended", State(await ScheduleAsync(schedule)));
        Assert.Equal(inEffect, revoked["revocation"]!["version"]!.GetValue<int>());
        Assert.All(revoked["versions"]!.AsArray(), v => Assert.False(v!["inEffect"]!.GetValue<bool>()));

        foreach (var day in new[] { 9, 16, 23 })
        {
            SetFirmTime(2026, 3, day);
            await SettleAsync();
        }

        Assert.Single(Charges());
        Assert.Equal(404, (await Client.Get($"/api/firms/{Firm}/runs/{schedule}/2026-03-09")).Status);

        // A second revocation changes nothing: the first stands.
        var again = Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/revoke", new { payersWord = "Letter received later." }), 200).Json!;
        Assert.Equal(revoked["revocation"]!["payersWord"]!.GetValue<string>(), again["revocation"]!["payersWord"]!.GetValue<string>());
    }

    [Fact]
    public async Task AuthorizationLifecycle_RecordsOutliveTheDeletedPayerAndSchedule_KeptTwoYearsPastTheLastPayment()
    {
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Once" }, "2026-03-02", new { kind = "PayAllOutstanding" },
            authorization: new { method = "SignedForm", reference = "Form AP-2026-0050" });
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Equal("Ended", State(await ScheduleAsync(schedule)));

        SetFirmTime(2026, 4, 1);
        Ok(await Client.Delete($"/api/firms/{Firm}/payers/{party.PayerId}"), 204);
        Assert.Equal(404, (await Client.Get($"/api/firms/{Firm}/schedules/{schedule}")).Status);

        var kept = await AuthorizationsAsync(schedule);
        Assert.False(kept["scheduleExists"]!.GetValue<bool>());
        Assert.Equal("Form AP-2026-0050", kept["versions"]![0]!["capture"]!["reference"]!.GetValue<string>());
        Assert.Equal("2026-03-02", kept["lastPaymentOn"]!.GetValue<string>());
        Assert.Equal("2028-03-02", kept["retainUntil"]!.GetValue<string>());
    }

    [Fact]
    public async Task AuthorizationLifecycle_CardPayerOverAMonth_GetsExactlyOneNoticePerRunThreeDaysAhead_AndEachRunChargesOnItsDate()
    {
        await StartAsync();
        var party = await PartyAsync("C-100", contacts: ["ap@acme.example", "cfo@acme.example"]);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m });

        var seen = new Dictionary<string, LocalDate>(StringComparer.Ordinal);
        var chargedOn = new Dictionary<string, LocalDate>(StringComparer.Ordinal);
        for (var day = new LocalDate(2026, 2, 21); day <= new LocalDate(2026, 3, 24); day = day.PlusDays(1))
        {
            SetFirmTime(day);
            await DayAsync();
            foreach (var email in Emails().Where(e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal)))
            {
                seen.TryAdd(email.To + " " + email.Subject, day);
            }

            foreach (var charge in Charges())
            {
                chargedOn.TryAdd(charge.RunKey, day);
            }
        }

        var runs = new[] { "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23" };
        var notices = Emails().Where(e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal)).ToList();
        Assert.Equal(runs.Length * 2, notices.Count);
        foreach (var run in runs)
        {
            var date = NodaTime.Text.LocalDatePattern.Iso.Parse(run).Value;
            var forRun = notices.Where(n => n.Subject.EndsWith(run, StringComparison.Ordinal)).ToList();
            Assert.Equal(2, forRun.Count);
            Assert.Single(forRun, n => n.To.Contains("ap@acme.example", StringComparison.Ordinal));
            Assert.All(forRun, n => Assert.Equal(date.PlusDays(-3), seen[n.To + " " + n.Subject]));
            Assert.Equal(date, chargedOn[$"{Firm}/{schedule}/{run}"]);
        }

        Assert.Equal([40000L, 40000L, 40000L, 30025L], Charges().OrderBy(c => c.RunKey, StringComparer.Ordinal).Select(c => c.Amount.Minor).ToArray());
        Assert.Contains("INV-1001", notices.First(n => n.Subject.EndsWith("2026-03-02", StringComparison.Ordinal)).Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Card", null, null, 3)]
    [InlineData("Ach", null, null, 10)]
    [InlineData("Ach", 100.00, 500.00, 3)]
    [InlineData("Ach", 100.00, 200.00, 10)]
    public async Task AuthorizationLifecycle_NoticeLead_IsTheFirmsDaysForCards_TenForVariableBankDebits_UnlessTheAgreedRangeCoversTheAmount(string kind, double? min, double? max, int leadDays)
    {
        await StartAsync();
        var party = await PartyAsync("C-100", contacts: ["ap@acme.example"], ach: kind == "Ach");
        var authorization = min is null ? null : new { method = "SignedForm", reference = "Form AP-2026-0061", amountRange = new { min = (decimal)min, max = (decimal)max! } };
        await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-09", new { kind = "UpTo", cap = 400.00m }, authorization: authorization);

        LocalDate? noticedOn = null;
        for (var day = new LocalDate(2026, 2, 21); day <= new LocalDate(2026, 3, 9); day = day.PlusDays(1))
        {
            SetFirmTime(day);
            await DayAsync();
            if (noticedOn is null && Emails().Any(e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal)))
            {
                noticedOn = day;
            }
        }

        Assert.Equal(new LocalDate(2026, 3, 9).PlusDays(-leadDays), noticedOn);
        Assert.Single(Emails(), e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal));
        Assert.Equal(40000, Assert.Single(Charges()).Amount.Minor);
    }

    [Fact]
    public async Task AuthorizationLifecycle_RunWhoseNoticeWasDueButNotSent_IsNotChargedEarly_ItIsNoticedThenChargedAfterTheLead()
    {
        await StartAsync();
        var party = await PartyAsync("C-100", contacts: ["ap@acme.example"]);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m });

        // Down from 2026-02-21 (no notice sweep, no fan-out) until 2026-03-10: the notices of 3/2 and 3/9 were due and never sent.
        SetFirmTime(2026, 3, 10);
        await DayAsync();
        Assert.Empty(Charges());
        var notices = Emails().Where(e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, notices.Count);
        Assert.Single(notices, n => n.Subject.EndsWith("2026-03-02", StringComparison.Ordinal));
        Assert.Single(notices, n => n.Subject.EndsWith("2026-03-09", StringComparison.Ordinal));

        foreach (var day in new[] { 11, 12 })
        {
            SetFirmTime(2026, 3, day);
            await DayAsync();
            Assert.Empty(Charges());
        }

        // Three days after the notices went out, both runs charge, in date order, once each; no notice went twice.
        SetFirmTime(2026, 3, 13);
        await DayAsync();
        Assert.Equal(40000, (await RunAsync(schedule, "2026-03-02"))["amountMinor"]!.GetValue<long>());
        Assert.Equal(40000, (await RunAsync(schedule, "2026-03-09"))["amountMinor"]!.GetValue<long>());
        Assert.Equal(2, Charges().Count);

        for (var day = new LocalDate(2026, 3, 14); day <= new LocalDate(2026, 3, 16); day = day.PlusDays(1))
        {
            SetFirmTime(day);
            await DayAsync();
        }

        // The next run's notice went out in time (3/13), so it charged on its own date.
        Assert.Equal(3, Charges().Count);
        var all = Emails().Where(e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, all.Count);
        Assert.Equal(3, all.Select(e => e.Subject).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task AuthorizationLifecycle_PostedRun_SendsThePayerAReceiptWithTheInvoicesPaidAndWhatRemains()
    {
        await StartAsync();
        var party = await PartyAsync("C-100", contacts: ["ap@acme.example"], receives: ["PaymentReceipt"]);
        SetFirmTime(2026, 3, 1);
        await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "UpTo", cap = 1300.00m });
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        await SettleAsync();

        Assert.Equal(130000, Assert.Single(Charges()).Amount.Minor);
        var receipt = Assert.Single(Emails());
        Assert.StartsWith("Receipt:", receipt.Subject, StringComparison.Ordinal);
        Assert.Contains("ap@acme.example", receipt.To, StringComparison.Ordinal);
        Assert.Contains("INV-1001", receipt.Body, StringComparison.Ordinal);
        Assert.Contains("INV-1002", receipt.Body, StringComparison.Ordinal);
        Assert.Contains("Still outstanding: 200.25 USD", receipt.Body, StringComparison.Ordinal);
        Assert.Contains("Unsubscribe: ", receipt.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationLifecycle_ContactsChangedAfterTheScheduleExists_ReachItsNextRuns()
    {
        // Runs read the payer from the schedule's copy: every change to the payer must reach the copy.
        await StartAsync();
        var party = await PartyAsync("C-100");
        SetFirmTime(2026, 3, 1);
        await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m });
        Ok(await Client.Put($"/api/firms/{Firm}/payers/{party.PayerId}/contacts", new { emails = new[] { "ap@acme.example" }, receives = new[] { "PaymentReceipt" } }), 200);
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        await SettleAsync();

        var first = Assert.Single(Emails(), e => e.Subject.StartsWith("Receipt:", StringComparison.Ordinal));
        Assert.Contains("ap@acme.example", first.To, StringComparison.Ordinal);

        Ok(await Client.Put($"/api/firms/{Firm}/payers/{party.PayerId}/contacts", new { emails = new[] { "billing@acme.example" }, receives = new[] { "PaymentReceipt" } }), 200);
        var etag = Ok(await Client.Get($"/api/firms/{Firm}/payers/{party.PayerId}"), 200).Headers.ETag.ToString();
        Ok(await Client.Put($"/api/firms/{Firm}/payers/{party.PayerId}", new { name = "Acme Treasury", email = "billing@acme.example" }, new Dictionary<string, string> { ["If-Match"] = etag }), 200);
        SetFirmTime(2026, 3, 9);
        await SettleAsync();
        await SettleAsync();

        Assert.Equal(2, Charges().Count);
        var receipts = Emails().Where(e => e.Subject.StartsWith("Receipt:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, receipts.Count);
        var second = Assert.Single(receipts, r => r.To.Contains("billing@acme.example", StringComparison.Ordinal));
        Assert.DoesNotContain("ap@acme.example", second.To, StringComparison.Ordinal);
        Assert.Contains("Acme Treasury", second.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationLifecycle_ThirtyDaysBeforeAOneYearLifetimeEnds_StaffAndPayerAreWarnedOnce_AndReauthorizingExtendsAYearFromTheNextRun()
    {
        await StartAsync();
        await SubscribeAsync("billing@firm-notices.test", "ScheduleExpiring");
        var party = await PartyAsync("C-100", contacts: ["ap@acme.example"], receives: ["ScheduleExpiring"]);
        var schedule = await AutoPayAsync(party, new { kind = "Monthly" }, "2026-03-02", new { kind = "UpTo", cap = 100.00m });
        Assert.Equal("2027-03-02", (await AuthorizationsAsync(schedule))["lifetimeEnd"]!.GetValue<string>());

        // Caught up to the end of January: eleven runs; no warning yet.
        SetFirmTime(2027, 1, 30);
        await DayAsync(TimeSpan.FromSeconds(120));
        Assert.Equal(11, Charges().Count);
        Assert.DoesNotContain(Emails(), e => e.Subject.Contains("ends on", StringComparison.Ordinal) || e.Subject.Contains("ending", StringComparison.Ordinal));

        foreach (var day in new[] { new LocalDate(2027, 1, 31), new LocalDate(2027, 2, 1) })
        {
            SetFirmTime(day);
            await DayAsync();
        }

        var warnings = Emails().Where(e => e.Subject.Contains("2027-03-02", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 2, string.Join("\n", warnings.Select(w => w.To + " | " + w.Subject)));
        Assert.Single(warnings, w => w.To.Contains("billing@firm-notices.test", StringComparison.Ordinal));
        Assert.Single(warnings, w => w.To.Contains("ap@acme.example", StringComparison.Ordinal));

        // Renewed on 2027-02-01: the next run is 2027-02-02, so the lifetime ends 2028-02-02 and version 2 says so.
        var renewed = Ok(await Client.Post($"/api/firms/{Firm}/schedules/{schedule}/reauthorize", new { method = "SignedForm", reference = "Form AP-2027-0142" }), 200).Json!;
        Assert.Equal("2028-02-02", renewed["lifetimeEnd"]!.GetValue<string>());
        var versions = renewed["versions"]!.AsArray();
        Assert.Equal(3, versions.Count);
        Assert.StartsWith("Renewed", versions[2]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("2028-02-02", versions[2]!["terms"]!["authorizedUntil"]!.GetValue<string>());
        Assert.Equal("2027-03-02", versions[1]!["terms"]!["authorizedUntil"]!.GetValue<string>());

        // The runs after the first year's end go on: 2027-03-02 charges under the renewal.
        SetFirmTime(2027, 3, 2);
        await DayAsync();
        Assert.Equal(13, Charges().Count);
        Assert.Equal("Active", State(await ScheduleAsync(schedule)));
    }

    [Fact]
    public async Task AuthorizationLifecycle_RollIntoNextAfterAFailedRun_ChargesCapPlusTheMissedAmount_NeverMoreThanIsOwed()
    {
        await StartAsync();
        var party = await PartyAsync("C-100", token: SandboxPaymentGateway.StolenCard);
        var good = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/payment-methods",
            new { kind = "Card", token = SandboxPaymentGateway.Approve + ".c-100-new", displayName = "Visa", last4 = "1881", expiryMonth = 1, expiryYear = 2031 }), 201).Json!["id"]!.GetValue<string>();
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 1000.00m }, makeUp: "RollIntoNext");
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Equal("Failed", State(await RunAsync(schedule, "2026-03-02")));
        Assert.Empty(Charges());

        await UpdateAsync(schedule, party with { MethodId = good }, new { kind = "UpTo", cap = 1000.00m }, null, makeUp: "RollIntoNext");
        SetFirmTime(2026, 3, 9);
        await SettleAsync();

        // Cap 1,000 + the missed 1,000 = 2,000 allowed; only 1,500.25 is owed, so that is all it charges.
        Assert.Equal(150025, Assert.Single(Charges()).Amount.Minor);
        SetFirmTime(2026, 3, 16);
        await SettleAsync();
        Assert.Equal("NothingDue", State(await RunAsync(schedule, "2026-03-16")));
        Assert.Single(Charges());
    }

    [Fact]
    public async Task AuthorizationLifecycle_RollIntoNextAfterAFailedRun_IsLimitedToCapPlusTheMissedAmount()
    {
        await StartAsync();
        var party = await PartyAsync("C-100", token: SandboxPaymentGateway.StolenCard);
        var good = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/payment-methods",
            new { kind = "Card", token = SandboxPaymentGateway.Approve + ".c-100-new", displayName = "Visa", last4 = "1881", expiryMonth = 1, expiryYear = 2031 }), 201).Json!["id"]!.GetValue<string>();
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 300.00m }, makeUp: "RollIntoNext");
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        Assert.Equal("Failed", State(await RunAsync(schedule, "2026-03-02")));

        await UpdateAsync(schedule, party with { MethodId = good }, new { kind = "UpTo", cap = 300.00m }, null, makeUp: "RollIntoNext");
        foreach (var day in new[] { 9, 16 })
        {
            SetFirmTime(2026, 3, day);
            await SettleAsync();
        }

        // 3/9 makes up the failed 300 (600 in all); 3/16 follows a posted run and takes its cap only.
        Assert.Equal([60000L, 30000L], Charges().OrderBy(c => c.RunKey, StringComparer.Ordinal).Select(c => c.Amount.Minor).ToArray());
    }

    [Fact]
    public async Task AuthorizationLifecycle_DailyDigest_ListsTheDaysChargedAndFailedRuns_OncePerSubscriber_AfterTheFirmsDayIsOver()
    {
        await StartAsync();
        await SubscribeAsync("partner@firm-notices.test", "RunSummary");
        await SubscribeAsync("oncall@firm-notices.test", "ErrorFailedAutoPay");
        var paying = await PartyAsync("C-100");
        await IngestClientAsync("C-200", ("A", "2026-01-10", 250.00m));
        var declined = await PartyAsync("C-200", token: SandboxPaymentGateway.StolenCard);
        SetFirmTime(2026, 3, 1);
        await AutoPayAsync(paying, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m });
        await AutoPayAsync(declined, new { kind = "Weekly" }, "2026-03-02", new { kind = "PayAllOutstanding" });
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        await DigestAsync();
        Assert.DoesNotContain(Emails(), e => e.Subject.StartsWith("AutoPay daily summary", StringComparison.Ordinal));

        SetFirmTime(2026, 3, 3);
        await DigestAsync();
        await DigestAsync();
        var digest = Assert.Single(Emails(), e => e.Subject.StartsWith("AutoPay daily summary", StringComparison.Ordinal));
        Assert.Contains("partner@firm-notices.test", digest.To, StringComparison.Ordinal);
        Assert.Contains("2026-03-02: 1 charged, 1 failed, 0 waiting", digest.Subject, StringComparison.Ordinal);
        Assert.Contains("Payer of C-100", digest.Body, StringComparison.Ordinal);
        Assert.Contains("Payer of C-200", digest.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationLifecycle_UnsubscribeLink_StopsOnlyThatTypeForThatPayer_AndTheRunNoLongerWaitsForANotice()
    {
        await StartAsync();
        var party = await PartyAsync("C-100", contacts: ["ap@acme.example"]);
        var schedule = await AutoPayAsync(party, new { kind = "Weekly" }, "2026-03-02", new { kind = "UpTo", cap = 400.00m });
        SetFirmTime(2026, 2, 27);
        await DayAsync();
        var notice = Assert.Single(Emails(), e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal));
        var link = UnsubscribeLink().Match(notice.Body);
        Assert.True(link.Success, notice.Body);

        // Opening the link only asks; the button unsubscribes.
        Assert.Equal(200, (await Client.Get("/api/unsubscribe?token=" + link.Groups[1].Value)).Status);
        Assert.Contains("PreChargeNotice", ContactsOf(await Client.Get($"/api/firms/{Firm}/payers/{party.PayerId}/contacts")));
        Assert.Equal(200, (await Client.Post("/api/unsubscribe?token=" + link.Groups[1].Value, null)).Status);
        var receives = ContactsOf(await Client.Get($"/api/firms/{Firm}/payers/{party.PayerId}/contacts"));
        Assert.DoesNotContain("PreChargeNotice", receives);
        Assert.Contains("PaymentReceipt", receives);

        // A tampered token changes nothing.
        Assert.Equal(400, (await Client.Post("/api/unsubscribe?token=" + link.Groups[1].Value[..^2] + "xx", null)).Status);

        for (var day = new LocalDate(2026, 3, 1); day <= new LocalDate(2026, 3, 9); day = day.PlusDays(1))
        {
            SetFirmTime(day);
            await DayAsync();
        }

        Assert.Single(Emails(), e => e.Subject.StartsWith("Upcoming payment", StringComparison.Ordinal));
        Assert.Equal(2, Emails().Count(e => e.Subject.StartsWith("Receipt:", StringComparison.Ordinal)));
        Assert.Equal(40000, (await RunAsync(schedule, "2026-03-09"))["amountMinor"]!.GetValue<long>());
    }

    [GeneratedRegex(@"token=([A-Za-z0-9_\-\.%]+)")]
    private static partial Regex UnsubscribeLink();

    private static List<string> ContactsOf(HttpResponseData response) =>
        Ok(response, 200).Json!["receives"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();

    private async Task StartAsync()
    {
        Host = new TestHost(emulators);
        _hosts.Add(Host);
        Client = new Client(Host) { FirmId = Firm };
        SetFirmTime(2026, 2, 20);
        Ok(await Client.Put($"/api/firms/{Firm}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = "C-100", name = "Acme Holdings" } },
            matters = new[] { new { number = "M-100-1", name = "Acme v. Widget Co", clientNumber = "C-100" }, new { number = "M-100-2", name = "Acme Lease Review", clientNumber = "C-100" } },
            invoices = new[]
            {
                new { number = "INV-1001", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 1200.00m },
                new { number = "INV-1002", clientNumber = "C-100", matterNumber = "M-100-2", invoiceDate = "2026-02-05", dueDate = "2026-03-07", total = 800.50m, outstandingBalance = 300.25m },
            },
        }), 200);
    }

    private async Task IngestClientAsync(string client, params (string Suffix, string Date, decimal Outstanding)[] invoices)
    {
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = client, name = "Client " + client } },
            matters = new[] { new { number = client + "-M", name = "Matter of " + client, clientNumber = client } },
            invoices = invoices.Select(i => new
            {
                number = $"{client}-{i.Suffix}",
                clientNumber = client,
                matterNumber = client + "-M",
                invoiceDate = i.Date,
                dueDate = i.Date,
                total = i.Outstanding,
                outstandingBalance = i.Outstanding,
            }).ToArray(),
        }), 200);
    }

    private sealed record Party(string PayerId, string MethodId, string BankAccountId, string AssociationId);

    private async Task<Party> PartyAsync(string client, string token = SandboxPaymentGateway.Approve, string[]? contacts = null, string[]? receives = null, bool ach = false)
    {
        var payer = Ok(await Client.Post($"/api/firms/{Firm}/payers", new { name = "Payer of " + client, email = contacts?.FirstOrDefault() }), 201).Json!["id"]!.GetValue<string>();
        var method = ach
            ? Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods",
                new { kind = "Ach", token = SandboxPaymentGateway.AchApprove + "." + client.ToLowerInvariant(), displayName = "First Bank", last4 = "1111", mandateId = "mandate_1AcmeBank01" }), 201).Json!["id"]!.GetValue<string>()
            : Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods",
                new { kind = "Card", token = token + "." + client.ToLowerInvariant(), displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        var bank = Ok(await Client.Post($"/api/firms/{Firm}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "1234" }), 201).Json!["id"]!.GetValue<string>();
        var association = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/associations", new { items = new[] { new { level = "Client", number = client } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        if (contacts is not null)
        {
            Ok(await Client.Put($"/api/firms/{Firm}/payers/{payer}/contacts", new { emails = contacts, receives }), 200);
        }

        return new Party(payer, method, bank, association);
    }

    private async Task<string> AutoPayAsync(Party party, object frequency, string firstRunDate, object amountRule, object? authorization = null, string? makeUp = null)
    {
        var body = new JsonObject
        {
            ["paymentMethodId"] = party.MethodId,
            ["name"] = "Auto-Pay " + party.PayerId,
            ["bankAccountId"] = party.BankAccountId,
            ["frequency"] = JsonSerializerNode(frequency),
            ["firstRunDate"] = firstRunDate,
            ["amountRule"] = JsonSerializerNode(amountRule),
        };
        if (authorization is not null)
        {
            body["authorization"] = JsonSerializerNode(authorization);
        }

        if (makeUp is not null)
        {
            body["makeUp"] = makeUp;
        }

        var id = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", body), 201).Json!["id"]!.GetValue<string>();
        var enrollments = new JsonObject { ["associationIds"] = new JsonArray(party.AssociationId) };
        if (authorization is not null)
        {
            enrollments["authorization"] = JsonSerializerNode(authorization);
        }

        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{id}/enrollments", enrollments), 200);
        return id;
    }

    private async Task UpdateAsync(string schedule, Party party, object amountRule, object? authorization, string? makeUp = null)
    {
        var current = await ScheduleAsync(schedule);
        var body = new JsonObject
        {
            ["paymentMethodId"] = party.MethodId,
            ["name"] = current["name"]!.GetValue<string>(),
            ["bankAccountId"] = party.BankAccountId,
            ["frequency"] = JsonSerializerNode(new { kind = "Weekly" }),
            ["firstRunDate"] = current["firstRunDate"]!.GetValue<string>(),
            ["amountRule"] = JsonSerializerNode(amountRule),
        };
        if (authorization is not null)
        {
            body["authorization"] = JsonSerializerNode(authorization);
        }

        if (makeUp is not null)
        {
            body["makeUp"] = makeUp;
        }

        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{schedule}", body), 200);
    }

    private static JsonNode JsonSerializerNode(object value) => System.Text.Json.JsonSerializer.SerializeToNode(value)!;

    private async Task SubscribeAsync(string email, string type) =>
        Ok(await Client.Post($"/api/firms/{Firm}/notification-subscriptions", new { email, types = new[] { type } }), 201);

    private async Task<JsonNode> AuthorizationsAsync(string schedule) =>
        Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}/authorizations"), 200).Json!;

    /// <summary>One day of the timers: the notice sweep, then the engine until the queue settles, then the outbox.</summary>
    private async Task DayAsync(TimeSpan? max = null)
    {
        await Host.Function<PayerNoticesFunction>().Run(new TimerInfo(), CancellationToken.None);
        await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
        await SettleAsync(max);
    }

    private async Task DigestAsync()
    {
        await Host.Function<RunSummaryFunction>().Run(new TimerInfo(), CancellationToken.None);
        await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
    }

    /// <summary>Fires the timers until the runs queue is empty and nothing is scheduled on it.</summary>
    private async Task SettleAsync(TimeSpan? max = null)
    {
        var deadline = DateTime.UtcNow + (max ?? TimeSpan.FromSeconds(45));
        var queue = Host.Get<QueueNames>().Runs;
        while (true)
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
            var counts = emulators.Broker.GetMessageCounts(queue);
            if (counts.ActiveMessageCount == 0 && counts.ScheduledMessageCount == 0)
            {
                await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The runs queue did not settle: {counts}");
            await Task.Delay(250);
        }
    }

    private async Task<JsonNode> RunAsync(string schedule, string date) =>
        Ok(await Client.Get($"/api/firms/{Firm}/runs/{schedule}/{date}"), 200).Json!;

    private async Task<JsonNode> ScheduleAsync(string schedule) =>
        Ok(await Client.Get($"/api/firms/{Firm}/schedules/{schedule}"), 200).Json!;

    private List<SandboxCharge> Charges() => Host.Get<SandboxPaymentGateway>().Charges.ToList();

    private sealed record Mail(string To, string Subject, string Body);

    private List<Mail> Emails()
    {
        var sink = Host.Settings[AppSettings.EmailSinkDirectory]!;
        return Directory.Exists(sink)
            ? Directory.GetFiles(sink, "*.eml").Select(f => MimeKit.MimeMessage.Load(f)).Select(m => new Mail(m.To.ToString(), m.Subject ?? string.Empty, m.TextBody ?? string.Empty)).ToList()
            : [];
    }

    private static string State(JsonNode node) => node["state"]!.GetValue<string>();

    private void SetFirmTime(int year, int month, int day) => SetFirmTime(new LocalDate(year, month, day));

    private void SetFirmTime(LocalDate day) =>
        Host.Clock.Reset(day.At(new LocalTime(9, 0)).InZoneLeniently(Chicago).ToInstant());

    private static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }
}
