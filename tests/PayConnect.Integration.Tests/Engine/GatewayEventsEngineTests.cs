using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Payments;
using PayConnect.Reversals;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Engine;

/// <summary>
/// Money after the charge, driven as in production: runs charge through the timers, the sandbox gateway produces the
/// Stripe-format signed events a refund, dispute, settlement or return would produce, and they are delivered to
/// <c>POST /api/gateway/sandbox/events</c>; everything is inspected through the API (runs, Manage Postings) and the
/// mail sink, on the real emulators.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class GatewayEventsEngineTests(Emulators emulators) : IAsyncLifetime
{
    private const string Firm = "firm-money";
    private static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];

    private readonly List<TestHost> _hosts = [];

    private TestHost Host { get; set; } = null!;

    private Client Client { get; set; } = null!;

    private Client Gateway { get; set; } = null!;

    private SandboxPaymentGateway Sandbox => Host.Get<SandboxPaymentGateway>();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task EventWithABadSignature_Answers401_AndChangesNothing()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();
        var refund = Sandbox.RefundInDashboard(chargeId, 10000);

        var forged = await DeliverAsync(refund.Payload, SandboxPaymentGateway.Sign(refund.Payload, "whsec_not_the_endpoint_secret", Host.Clock.GetCurrentInstant().ToUnixTimeSeconds()));
        var unsigned = await Gateway.Post("/api/gateway/sandbox/events", refund.Payload);
        var tampered = await DeliverAsync(refund.Payload.Replace("10000", "15000", StringComparison.Ordinal), refund.Signature);

        Assert.Equal(401, forged.Status);
        Assert.Equal(401, unsigned.Status);
        Assert.Equal(401, tampered.Status);
        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Empty(run["refunds"]!.AsArray());
        Assert.Empty(await ReversalsAsync(schedule));

        // The genuine delivery of the same event is then applied.
        Assert.Equal("Applied", (await DeliverAsync(refund)).Json!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task SameEventDeliveredTwice_HasOneEffect()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();
        var refund = Sandbox.RefundInDashboard(chargeId, 10000);

        var first = await DeliverAsync(refund);
        var second = await DeliverAsync(refund);

        Assert.Equal("Applied", first.Json!["outcome"]!.GetValue<string>());
        Assert.Equal("Duplicate", second.Json!["outcome"]!.GetValue<string>());
        Assert.Single((await RunAsync(schedule, "2026-03-02"))["refunds"]!.AsArray());
        var reversal = Assert.Single(await ReversalsAsync(schedule));
        Assert.Equal(10000, reversal["amountMinor"]!.GetValue<long>());
    }

    [Fact]
    public async Task StaffPartialRefund_ReversesTheNewestInvoiceFirst_OnceForItsIdempotencyKey_AndTheNextRunChargesWhatWentBack()
    {
        var (schedule, _) = await ChargedOnceAsync(weekly: true);
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = "refund-march-hearing" };

        var created = Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/refunds", new { amount = 400.00m, reason = "Billed twice" }, headers), 201);
        var repeated = Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/refunds", new { amount = 400.00m, reason = "Billed twice" }, headers), 201);

        Assert.Single(Sandbox.Refunds);
        Assert.Equal(40000, Sandbox.Refunds[0].Amount.Minor);
        Assert.Single(repeated.Json!["refunds"]!.AsArray());
        Assert.Equal("Succeeded", created.Json!["refunds"]![0]!["status"]!.GetValue<string>());

        // INV-1002 (newest, 300.25 paid) goes back whole, the other 99.75 from INV-1001.
        var reversals = await ReversalsAsync(schedule);
        Assert.Equal([("INV-1001", 9975L), ("INV-1002", 30025L)], reversals.Select(p => (p["invoiceNumber"]!.GetValue<string>(), p["amountMinor"]!.GetValue<long>())).OrderBy(x => x.Item1));
        Assert.All(reversals, p => Assert.Equal("Pending", p["state"]!.GetValue<string>()));

        // The MMS still shows both invoices unpaid (the firm has not synced): only what went back is owed again.
        SetFirmTime(2026, 3, 9);
        await SettleAsync();
        Assert.Equal(40000, (await RunAsync(schedule, "2026-03-09"))["amountMinor"]!.GetValue<long>());
        Assert.Equal([150025L, 40000L], Sandbox.Charges.Select(c => c.Amount.Minor));
    }

    [Fact]
    public async Task StaffRefundNamingAnInvoice_ReversesThatInvoice_AndRefusesMoreThanItPaid()
    {
        var (schedule, _) = await ChargedOnceAsync();

        var tooMuch = await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/refunds",
            new { invoices = new[] { new { invoiceNumber = "INV-1002", amount = 300.26m } } }, new Dictionary<string, string> { ["Idempotency-Key"] = "k1" });
        Ok(await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/refunds",
            new { invoices = new[] { new { invoiceNumber = "INV-1001", amount = 50.00m } } }, new Dictionary<string, string> { ["Idempotency-Key"] = "k2" }), 201);

        Assert.Equal(400, tooMuch.Status);
        var reversal = Assert.Single(await ReversalsAsync(schedule));
        Assert.Equal("INV-1001", reversal["invoiceNumber"]!.GetValue<string>());
        Assert.Equal(5000, reversal["amountMinor"]!.GetValue<long>());
    }

    [Fact]
    public async Task StaffRefundWithoutAnIdempotencyKey_IsRefused_AndMovesNoMoney()
    {
        var (schedule, _) = await ChargedOnceAsync();

        var response = await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/refunds", new { amount = 10.00m });

        Assert.Equal(400, response.Status);
        Assert.Empty(Sandbox.Refunds);
    }

    [Fact]
    public async Task FullRefundFromTheDashboard_ReversesEveryInvoice_AndNothingIsLeftToRefund()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();

        Assert.Equal("Applied", (await DeliverAsync(Sandbox.RefundInDashboard(chargeId))).Json!["outcome"]!.GetValue<string>());

        var reversals = await ReversalsAsync(schedule);
        Assert.Equal(150025, reversals.Sum(p => p["amountMinor"]!.GetValue<long>()));
        Assert.Equal(["INV-1001", "INV-1002"], reversals.Select(p => p["invoiceNumber"]!.GetValue<string>()).Order());
        var more = await Client.Post($"/api/firms/{Firm}/runs/{schedule}/2026-03-02/refunds", new { }, new Dictionary<string, string> { ["Idempotency-Key"] = "again" });
        Assert.Equal(409, more.Status);
    }

    [Fact]
    public async Task EventsFindTheirRunByTheRunKeyTheChargeCarries_WithoutAnIndexEntry()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();

        Assert.Null(await Host.Get<IRecordStore>().GetAsync<ChargeIndexEntry>(ChargeIndexEntry.Partition, chargeId, CancellationToken.None));
        Assert.Equal("Applied", (await DeliverAsync(Sandbox.RefundInDashboard(chargeId))).Json!["outcome"]!.GetValue<string>());
        Assert.Equal(150025, (await ReversalsAsync(schedule)).Sum(p => p["amountMinor"]!.GetValue<long>()));
    }

    [Fact]
    public async Task ChargeIndexedBeforeChargesCarriedTheirRun_IsStillFoundByItsEntry_AndAnUnknownChargeIsNotOurs()
    {
        // A gateway that cannot name the run (a charge made while every charge was indexed instead).
        var (schedule, chargeId) = await ChargedOnceAsync(replace: s => s.AddSingleton<IPaymentGateway>(sp => new NoRunKeys(sp.GetRequiredService<SandboxPaymentGateway>())));
        var refund = Sandbox.RefundInDashboard(chargeId);
        Assert.Equal("NotOurs", (await DeliverAsync(refund)).Json!["outcome"]!.GetValue<string>());
        Assert.Empty(await ReversalsAsync(schedule));

        await Host.Get<IRecordStore>().UpsertAsync(ChargeIndexEntry.Partition, new ChargeIndexEntry(chargeId, Firm, schedule, new LocalDate(2026, 3, 2), Host.Clock.GetCurrentInstant()), CancellationToken.None);

        Assert.Equal("Applied", (await DeliverAsync(refund)).Json!["outcome"]!.GetValue<string>());
        Assert.Equal(150025, (await ReversalsAsync(schedule)).Sum(p => p["amountMinor"]!.GetValue<long>()));
    }

    private sealed class NoRunKeys(IPaymentGateway inner) : IPaymentGateway
    {
        public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) => inner.ChargeAsync(request, cancellationToken);

        public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken) => inner.FindChargeAsync(lookup, cancellationToken);

        public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

        public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

        public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
    }

    [Fact]
    public async Task RefundStatesArrivingOutOfOrder_NeverGoBack_AndReverseOnce()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();
        var succeeded = Sandbox.RefundInDashboard(chargeId, 10000);
        var pending = Resigned(succeeded, "\"status\":\"succeeded\"", "\"status\":\"pending\"", "evt_sandbox_pending_late");

        Assert.Equal("Applied", (await DeliverAsync(succeeded)).Json!["outcome"]!.GetValue<string>());
        Assert.Equal("Unchanged", (await DeliverAsync(pending)).Json!["outcome"]!.GetValue<string>());

        Assert.Equal("Succeeded", (await RunAsync(schedule, "2026-03-02"))["refunds"]![0]!["status"]!.GetValue<string>());
        Assert.Single(await ReversalsAsync(schedule));
    }

    [Fact]
    public async Task DisputeOnATrustDeposit_Lost_ReversesTheInvoices_AndTheChargebackAndFeeComeFromOperatingNeverTrust()
    {
        var (schedule, chargeId) = await ChargedOnceAsync(depositKind: "Trust");
        await SubscribeAsync("partner@firm-money.test", "PaymentDisputed");
        var trustAccount = Assert.Single(Sandbox.Charges).ConnectedAccountId;

        Assert.Equal("Applied", (await DeliverAsync(Sandbox.OpenDispute(chargeId))).Json!["outcome"]!.GetValue<string>());
        var opened = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("Open", opened["dispute"]!["status"]!.GetValue<string>());
        Assert.Empty(await ReversalsAsync(schedule));
        await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
        Assert.Single(Emails(), e => e.Contains("partner@firm-money.test", StringComparison.Ordinal));

        Assert.Equal("Applied", (await DeliverAsync(Sandbox.CloseDispute(chargeId, won: false))).Json!["outcome"]!.GetValue<string>());

        var lost = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("Lost", lost["dispute"]!["status"]!.GetValue<string>());
        Assert.Equal(150025, (await ReversalsAsync(schedule)).Sum(p => p["amountMinor"]!.GetValue<long>()));
        Assert.DoesNotContain(Sandbox.Movements, m => m.AccountId == trustAccount && m.Amount.Minor < 0);
        var debit = Assert.Single(Sandbox.Movements, m => m.AccountId != SandboxPaymentGateway.PlatformAccount && m.Amount.Minor < 0);
        Assert.Equal(-(150025 + SandboxPaymentGateway.DisputeFeeMinor), debit.Amount.Minor);
        Assert.Equal(lost["dispute"]!["debitedBankAccountId"]!.GetValue<string>(), await OperatingAccountIdAsync());
    }

    [Fact]
    public async Task DisputeLostAfterAPartialRefund_ReversesWhatWasLeft_AndRecoversOnlyThatAndTheFeeFromOperating()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();
        await DeliverAsync(Sandbox.RefundInDashboard(chargeId, 20000));

        await DeliverAsync(Sandbox.OpenDispute(chargeId));
        await DeliverAsync(Sandbox.CloseDispute(chargeId, won: false));

        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Equal(130025, run["dispute"]!["amountMinor"]!.GetValue<long>());
        Assert.Equal(130025 + SandboxPaymentGateway.DisputeFeeMinor, run["dispute"]!["debitedMinor"]!.GetValue<long>());
        var reversals = await ReversalsAsync(schedule);
        Assert.Equal(150025, reversals.Sum(p => p["amountMinor"]!.GetValue<long>()));
        Assert.Equal(130025, reversals.Where(p => p["cause"]!.GetValue<string>() == "Dispute").Sum(p => p["amountMinor"]!.GetValue<long>()));
    }

    [Fact]
    public async Task DisputeWon_ChangesNoPostingAndNoHold()
    {
        var (schedule, chargeId) = await ChargedOnceAsync(weekly: true);

        await DeliverAsync(Sandbox.OpenDispute(chargeId));
        await DeliverAsync(Sandbox.CloseDispute(chargeId, won: true));

        Assert.Equal("Won", (await RunAsync(schedule, "2026-03-02"))["dispute"]!["status"]!.GetValue<string>());
        Assert.Empty(await ReversalsAsync(schedule));
        SetFirmTime(2026, 3, 9);
        await SettleAsync();
        Assert.Equal("NothingDue", (await RunAsync(schedule, "2026-03-09"))["state"]!.GetValue<string>());
        Assert.Single(Sandbox.Charges);
    }

    [Fact]
    public async Task DisputeClosedBeforeItsOpeningArrives_IsLostOnce_AndTheLateOpeningChangesNothing()
    {
        var (schedule, chargeId) = await ChargedOnceAsync();
        var opened = Sandbox.OpenDispute(chargeId);
        var closed = Sandbox.CloseDispute(chargeId, won: false);

        Assert.Equal("Applied", (await DeliverAsync(closed)).Json!["outcome"]!.GetValue<string>());
        Assert.Equal("Unchanged", (await DeliverAsync(opened)).Json!["outcome"]!.GetValue<string>());

        Assert.Equal("Lost", (await RunAsync(schedule, "2026-03-02"))["dispute"]!["status"]!.GetValue<string>());
        Assert.Equal(150025, (await ReversalsAsync(schedule)).Sum(p => p["amountMinor"]!.GetValue<long>()));
    }

    [Fact]
    public async Task AchDebit_IsPendingUntilSettled_AndItsMoneyCountsAgainstTheInvoicesMeanwhile()
    {
        var (schedule, chargeId) = await ChargedOnceAsync(weekly: true, ach: true);
        var pending = await RunAsync(schedule, "2026-03-02");
        Assert.True(pending["settlementPending"]!.GetValue<bool>());
        Assert.All(await PostingsAsync(schedule), p => Assert.True(p["settlementPending"]!.GetValue<bool>()));

        // Pending money counts against its invoices: the next run finds nothing more to pay.
        SetFirmTime(2026, 3, 9);
        await SettleAsync();
        Assert.Equal("NothingDue", (await RunAsync(schedule, "2026-03-09"))["state"]!.GetValue<string>());

        Assert.Equal("Applied", (await DeliverAsync(Sandbox.SettleAch(chargeId))).Json!["outcome"]!.GetValue<string>());
        var settled = await RunAsync(schedule, "2026-03-02");
        Assert.False(settled["settlementPending"]!.GetValue<bool>());
        Assert.NotNull(settled["settledAt"]);
        Assert.All(await PostingsAsync(schedule), p => Assert.False(p["settlementPending"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task AchReturnR01_ReversesAndNotifies_AndIsPresentedAgainAtMostTwice()
    {
        var (schedule, chargeId) = await ChargedOnceAsync(ach: true);
        await SubscribeAsync("billing@firm-money.test", "PaymentReturned");

        for (var presentment = 0; presentment < 3; presentment++)
        {
            Assert.Equal("Applied", (await DeliverAsync(Sandbox.ReturnAch(chargeId, "R01"))).Json!["outcome"]!.GetValue<string>());
            var run = await RunAsync(schedule, "2026-03-02");
            Assert.Equal("Returned", run["state"]!.GetValue<string>());
            Assert.Equal("R01", run["failureCode"]!.GetValue<string>());
            if (presentment == 2)
            {
                Assert.Null(run["retryOn"]);
                break;
            }

            var retryOn = LocalDate.FromDateTime(DateTime.Parse(run["retryOn"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
            SetFirmTime(retryOn.Year, retryOn.Month, retryOn.Day);
            await SettleAsync();
            var again = await RunAsync(schedule, "2026-03-02");
            Assert.Equal("Posted", again["state"]!.GetValue<string>());
            Assert.Equal(presentment + 1, again["presentment"]!.GetValue<int>());
            chargeId = again["chargeId"]!.GetValue<string>();
        }

        // The original debit and two re-presentments, each returned and each reversed in full.
        Assert.Equal(3, Sandbox.Charges.Count);
        Assert.Equal(3 * 150025, (await ReversalsAsync(schedule)).Sum(p => p["amountMinor"]!.GetValue<long>()));
        await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
        Assert.Equal(3, Emails().Count(e => e.Contains("billing@firm-money.test", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("R02")]
    [InlineData("R10")]
    [InlineData("R29")]
    public async Task AchReturnOtherThanR01OrR09_ReversesAndIsNeverPresentedAgain(string code)
    {
        var (schedule, chargeId) = await ChargedOnceAsync(ach: true);

        await DeliverAsync(Sandbox.ReturnAch(chargeId, code));

        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("Returned", run["state"]!.GetValue<string>());
        Assert.Equal(code, run["failureCode"]!.GetValue<string>());
        Assert.Null(run["retryOn"]);
        Assert.Equal(150025, (await ReversalsAsync(schedule)).Sum(p => p["amountMinor"]!.GetValue<long>()));
        SetFirmTime(2026, 3, 20);
        await SettleAsync();
        Assert.Single(Sandbox.Charges);
    }

    [Fact]
    public async Task AchSettledAfterItsReturn_ChangesNothing()
    {
        var (schedule, chargeId) = await ChargedOnceAsync(ach: true);
        var settled = Sandbox.SettleAch(chargeId);

        await DeliverAsync(Sandbox.ReturnAch(chargeId, "R02"));
        Assert.Equal("Unchanged", (await DeliverAsync(settled)).Json!["outcome"]!.GetValue<string>());

        Assert.Equal("Returned", (await RunAsync(schedule, "2026-03-02"))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreditCardSurcharge_IsItsOwnLineAndPosting_ButNeverOnATrustSchedule()
    {
        await StartAsync(surchargePercent: 3m);
        var operating = await PartyAsync("C-100", "Operating", funding: "Credit");
        SetFirmTime(2026, 3, 1);
        var surcharged = await AutoPayAsync(operating, "Once");
        SetFirmTime(2026, 3, 2);
        await SettleAsync();

        var run = await RunAsync(surcharged, "2026-03-02");
        Assert.Equal(4500, run["surchargeMinor"]!.GetValue<long>());
        Assert.Equal(150025 + 4500, run["amountMinor"]!.GetValue<long>());
        var surcharge = Assert.Single(await PostingsAsync(surcharged), p => p["kind"]!.GetValue<string>() == "Surcharge");
        Assert.Equal(4500, surcharge["amountMinor"]!.GetValue<long>());
        Assert.Equal(operating.BankAccountId, surcharge["bankAccountId"]!.GetValue<string>());

        await IngestClientAsync("C-200", ("A", "2026-01-05", 500.00m));
        var trust = await PartyAsync("C-200", "Trust", funding: "Credit");
        SetFirmTime(2026, 3, 3);
        var trustSchedule = await AutoPayAsync(trust, "Once", "2026-03-04");
        SetFirmTime(2026, 3, 4);
        await SettleAsync();

        var trustRun = await RunAsync(trustSchedule, "2026-03-04");
        Assert.Equal(0, trustRun["surchargeMinor"]!.GetValue<long>());
        Assert.Equal(50000, trustRun["amountMinor"]!.GetValue<long>());
        Assert.DoesNotContain(await PostingsAsync(trustSchedule), p => p["kind"]!.GetValue<string>() == "Surcharge");
    }

    [Theory]
    [InlineData("Debit", null)]
    [InlineData("Credit", "US-CT")]
    public async Task CardSurcharge_IsNotChargedOnADebitCard_NorToAPayerInAnExcludedJurisdiction(string funding, string? jurisdiction)
    {
        await StartAsync(surchargePercent: 2.5m, excluded: ["US-CT"]);
        var party = await PartyAsync("C-100", "Operating", funding, jurisdiction ?? "US-IL");
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, "Once");
        SetFirmTime(2026, 3, 2);
        await SettleAsync();

        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Equal(0, run["surchargeMinor"]!.GetValue<long>());
        Assert.Equal(150025, Assert.Single(Sandbox.Charges).Amount.Minor);
    }

    private async Task<(string Schedule, string ChargeId)> ChargedOnceAsync(bool weekly = false, bool ach = false, string depositKind = "Operating", Action<IServiceCollection>? replace = null)
    {
        await StartAsync(replace: replace);
        if (depositKind == "Trust")
        {
            // The firm's operating account, which a chargeback is recovered from.
            await BankAccountAsync("Operating");
        }

        var party = await PartyAsync("C-100", depositKind, ach: ach);
        SetFirmTime(2026, 3, 1);
        var schedule = await AutoPayAsync(party, weekly ? "Weekly" : "Once");
        SetFirmTime(2026, 3, 2);
        await SettleAsync();
        var run = await RunAsync(schedule, "2026-03-02");
        Assert.Equal("Posted", run["state"]!.GetValue<string>());
        Assert.Equal(150025, run["amountMinor"]!.GetValue<long>());
        return (schedule, run["chargeId"]!.GetValue<string>());
    }

    private async Task StartAsync(decimal? surchargePercent = null, string[]? excluded = null, Action<IServiceCollection>? replace = null)
    {
        Host = new TestHost(emulators, replace: replace);
        _hosts.Add(Host);
        Client = new Client(Host) { FirmId = Firm };
        Gateway = new Client(Host) { FirmId = null };
        SetFirmTime(2026, 2, 20);
        Ok(await Client.Put($"/api/firms/{Firm}/settings", new
        {
            name = "Smith & Jones LLP",
            timeZone = "America/Chicago",
            currency = "USD",
            cardSurchargePercent = surchargePercent,
            surchargeExcludedJurisdictions = excluded,
        }), 200);
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

    private async Task IngestClientAsync(string client, params (string Suffix, string Date, decimal Outstanding)[] invoices) =>
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

    private sealed record Party(string PayerId, string MethodId, string BankAccountId, string AssociationId);

    private async Task<Party> PartyAsync(string client, string depositKind, string? funding = null, string? jurisdiction = null, bool ach = false)
    {
        var payer = Ok(await Client.Post($"/api/firms/{Firm}/payers", new { name = "Payer of " + client, jurisdiction }), 201).Json!["id"]!.GetValue<string>();
        object method = ach
            ? new { kind = "Ach", token = SandboxPaymentGateway.AchApprove + "." + payer, displayName = "First Bank", last4 = "1111", mandateId = "mandate_1AcmeBank01" }
            : new { kind = "Card", token = SandboxPaymentGateway.Approve + "." + payer, displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030, funding };
        var methodId = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods", method), 201).Json!["id"]!.GetValue<string>();
        var bank = await BankAccountAsync(depositKind);
        var association = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/associations", new { items = new[] { new { level = "Client", number = client } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        return new Party(payer, methodId, bank, association);
    }

    private async Task<string> BankAccountAsync(string kind) =>
        Ok(await Client.Post($"/api/firms/{Firm}/bank-accounts", new { name = kind + " account", kind, last4 = kind == "Trust" ? "9876" : "1234" }), 201).Json!["id"]!.GetValue<string>();

    private async Task<string> OperatingAccountIdAsync() =>
        Ok(await Client.Get($"/api/firms/{Firm}/bank-accounts"), 200).Json!["items"]!.AsArray()
            .First(a => a!["kind"]!.GetValue<string>() == "Operating")!["id"]!.GetValue<string>();

    private async Task<string> AutoPayAsync(Party party, string frequency, string firstRunDate = "2026-03-02")
    {
        var id = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.MethodId,
            name = "Auto-Pay " + party.PayerId,
            bankAccountId = party.BankAccountId,
            frequency = new { kind = frequency },
            firstRunDate,
            amountRule = new { kind = "PayAllOutstanding" },
        }), 201).Json!["id"]!.GetValue<string>();
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);
        return id;
    }

    private async Task SubscribeAsync(string email, string type) =>
        Ok(await Client.Post($"/api/firms/{Firm}/notification-subscriptions", new { email, types = new[] { type } }), 201);

    private Task<HttpResponseData> DeliverAsync(SandboxEvent e) => DeliverAsync(e.Payload, e.Signature);

    private Task<HttpResponseData> DeliverAsync(string payload, string signature) =>
        Gateway.Post("/api/gateway/sandbox/events", payload, new Dictionary<string, string> { ["Stripe-Signature"] = signature });

    /// <summary>The same Stripe object in another state, as a later event of its own, signed with the endpoint's secret.</summary>
    private SandboxEvent Resigned(SandboxEvent e, string from, string to, string eventId)
    {
        var payload = e.Payload.Replace(from, to, StringComparison.Ordinal).Replace(e.Id, eventId, StringComparison.Ordinal);
        Assert.NotEqual(e.Payload, payload);
        return new SandboxEvent(eventId, e.Type, payload, SandboxPaymentGateway.Sign(payload, Sandbox.WebhookSecret, Host.Clock.GetCurrentInstant().ToUnixTimeSeconds()));
    }

    /// <summary>Fires the timers until the runs queue is empty and nothing is scheduled on it.</summary>
    private async Task SettleAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var queue = Host.Get<QueueNames>().Runs;
        while (true)
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
            var counts = emulators.Broker.GetMessageCounts(queue);
            if (counts.ActiveMessageCount == 0 && counts.ScheduledMessageCount == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The runs queue did not settle: {counts}");
            await Task.Delay(250);
        }
    }

    private async Task<JsonNode> RunAsync(string schedule, string date) =>
        Ok(await Client.Get($"/api/firms/{Firm}/runs/{schedule}/{date}"), 200).Json!;

    private async Task<List<JsonNode>> PostingsAsync(string schedule) =>
        Ok(await Client.Get($"/api/firms/{Firm}/postings?scheduleId={schedule}"), 200).Json!["items"]!.AsArray().Select(p => p!).ToList();

    /// <summary>The reversal postings of a schedule, as Manage Postings lists them.</summary>
    private async Task<List<JsonNode>> ReversalsAsync(string schedule) =>
        (await PostingsAsync(schedule)).Where(p => p["kind"]!.GetValue<string>() == "Reversal").ToList();

    private List<string> Emails()
    {
        var sink = Host.Settings[AppSettings.EmailSinkDirectory]!;
        return Directory.Exists(sink)
            ? Directory.GetFiles(sink, "*.eml").Select(f => MimeKit.MimeMessage.Load(f)).Select(m => $"To: {m.To}\nSubject: {m.Subject}\n{m.TextBody}").ToList()
            : [];
    }

    private void SetFirmTime(int year, int month, int day) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, 9, 0).InZoneLeniently(Chicago).ToInstant());

    private static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }
}
