using System.Text;
using NodaTime;
using Microsoft.Extensions.Logging.Abstractions;
using PayConnect.Connect;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Mms;
using PayConnect.Notifications;
using PayConnect.Payments;
using PayConnect.Postings;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>
/// A firm in Azurite with an MMS mirror, a payer, a payment method and a schedule, and a <see cref="RunProcessor"/>
/// built from the host's services with optional faults swapped in. Asserts the SPEC §4 invariants of a run.
/// </summary>
public abstract class RunTestBase(Emulators emulators) : IAsyncLifetime
{
    protected const string Firm = "firm-runs";
    protected const string PayerId = "py_acme";
    protected const string MethodId = "pm_card";
    protected const string BankAccountId = "ba_operating";
    protected static readonly LocalDate RunDate = new(2026, 3, 2);

    /// <summary>What the MMS says is outstanding, per invoice, in minor units (the seed; tests do not change it).</summary>
    protected static readonly IReadOnlyDictionary<string, long> Outstanding = new Dictionary<string, long>
    {
        ["INV-1001"] = 120000,
        ["INV-1002"] = 30025,
        ["INV-2001"] = 45000,
        ["INV-3001"] = 0,
    };

    protected Emulators Emulators { get; } = emulators;

    protected TestHost Host { get; private set; } = null!;

    protected IRecordStore Store => Host.Get<IRecordStore>();

    protected SandboxPaymentGateway Sandbox => Host.Get<SandboxPaymentGateway>();

    public virtual async Task InitializeAsync()
    {
        Host = new TestHost(Emulators);
        var now = Host.Clock.GetCurrentInstant();
        await Store.UpsertAsync(Firm, new FirmSettings(Firm, "Smith & Jones LLP", "America/Chicago", "USD", now), default);
        await Store.UpsertAsync(Firm, new BankAccount(BankAccountId, "Operating", BankAccountKind.Operating, "6789", now), default);
        await Store.UpsertAsync(Firm, new Payer(PayerId, "Acme Holdings AP", "ap@acme.test", now), default);
        await SetTokenAsync(SandboxPaymentGateway.Approve);
        await Store.UpsertAllAsync(Firm, new[] { new MmsClient("C-100", "Acme Holdings"), new MmsClient("C-200", "Birch Family Trust"), new MmsClient("C-300", "Cedar Paid Up") }, default);
        await Store.UpsertAllAsync(Firm, new[]
        {
            new MmsMatter("M-100-1", "Acme v. Widget Co", "C-100"),
            new MmsMatter("M-100-2", "Acme Lease Review", "C-100"),
            new MmsMatter("M-200-1", "Birch Estate Planning", "C-200"),
            new MmsMatter("M-300-1", "Cedar Closed Matter", "C-300"),
        }, default);
        await Store.UpsertAllAsync(Firm, new[]
        {
            Invoice("INV-1001", "C-100", "M-100-1", new LocalDate(2026, 1, 5), 120000),
            Invoice("INV-1002", "C-100", "M-100-2", new LocalDate(2026, 2, 5), 80050, Outstanding["INV-1002"]),
            Invoice("INV-2001", "C-200", "M-200-1", new LocalDate(2026, 1, 20), 45000),
            Invoice("INV-3001", "C-300", "M-300-1", new LocalDate(2026, 1, 2), 10000, 0),
        }, default);
        foreach (var (level, number) in new[] { (AssociationLevel.Client, "C-100"), (AssociationLevel.Client, "C-200"), (AssociationLevel.Client, "C-300"), (AssociationLevel.Matter, "M-100-1") })
        {
            var client = level == AssociationLevel.Client ? number : "C-100";
            await Store.UpsertAsync(Firm, new Association(Association.IdOf(level, number), PayerId, level, client, level == AssociationLevel.Matter ? number : null, null, number, now), default);
        }

        // The firm is on the ledger layout already (as every firm is once the engine has seen it): the mirror's
        // outstanding copies are built from the invoices seeded above.
        await new LedgerMigration(Store, Host.Clock, NullLogger<LedgerMigration>.Instance).MigrateAsync(Firm, default);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    protected static string AssociationOf(AssociationLevel level, string number) => Association.IdOf(level, number);

    protected Task SetTokenAsync(string token) =>
        Store.UpsertAsync(Firm, new PaymentMethod(MethodId, PayerId, PaymentMethodKind.Card, token, "Visa", "4242", 12, 2030, Host.Clock.GetCurrentInstant()), default);

    /// <summary>A schedule of the payer paying the given association ids; UpTo when <paramref name="capMinor"/> is set.</summary>
    protected async Task<string> ScheduleAsync(long? capMinor, params string[] associationIds)
    {
        var id = "sch_" + Guid.NewGuid().ToString("N")[..12];
        var now = Host.Clock.GetCurrentInstant();
        var scopes = new List<EnrolledScope>();
        foreach (var associationId in associationIds)
        {
            scopes.Add(EnrolledScope.Of((await Store.GetAsync<Association>(Firm, Association.KeyOf(PayerId, associationId), default))!.Value));
        }

        await Store.InsertAsync(Firm, new Schedule(
            id, PayerId, MethodId, "Acme monthly", BankAccountId, "Acme Auto-Pay", "Monthly", RunDate,
            capMinor is null ? AmountRuleKind.PayAllOutstanding : AmountRuleKind.UpTo, capMinor, "USD", ScheduleState.Active,
            associationIds, now, now, Lifetime: ScheduleLifetime.OneYear) { EnrolledScopes = scopes }, default);
        return id;
    }

    protected async Task SubscribeAsync(string email, params string[] types)
    {
        await Store.UpsertAsync(Firm, new NotificationSubscription(email, null, types, Host.Clock.GetCurrentInstant()), default);

        // Written behind the API's back: the host's subscription cache would not see it for a minute.
        Host.Get<SubscriptionCache>().Forget(Firm);
    }

    /// <summary>The engine as the container builds it, over the given store, gateway and MMS (each a fault-injecting stand-in or the real one).</summary>
    protected RunProcessor Processor(IRecordStore? store = null, IPaymentGateway? gateway = null, IMmsConnector? mms = null)
    {
        var s = store ?? Store;
        var clock = Host.Clock;
        var firms = new FirmSettingsCache(s, clock);
        var ledger = new RunLedger(s);
        var options = Host.Get<RunEngineOptions>();
        
        return new RunProcessor(
            ledger,
            new RunAllocator(s, ledger, mms ?? new MirrorMmsConnector(s), firms, clock, options, NullLogger<RunAllocator>.Instance),
            new RunCharger(s, ledger, gateway ?? Sandbox, Host.Get<DeclinePolicy>(), new RunRetries(s), firms, clock, options, NullLogger<RunCharger>.Instance),
            new RunFollowUp(s, ledger, new NotificationOutbox(s, clock), new DueIndex(s), firms, clock, new OutboxOptions(),
                new PayConnect.Reversals.ChargedRunNotices(s, ledger, new NotificationOutbox(s, clock), firms, clock, new OutboxOptions()), NullLogger<RunFollowUp>.Instance),
            new LedgerMigration(s, clock, NullLogger<LedgerMigration>.Instance),
            firms,
            Host.Get<IRunQueue>(),
            clock,
            NullLogger<RunProcessor>.Instance);
    }

    /// <summary>
    /// Handles the message and, while the engine asks for it to be sent again later (an unreachable MMS or gateway),
    /// handles that later copy at once, like a broker whose scheduled messages came due; returns every outcome.
    /// </summary>
    protected static async Task<List<MessageOutcome>> FollowAsync(RunProcessor processor, QueuedMessage message, int max = 12)
    {
        var outcomes = new List<MessageOutcome>();
        for (var i = 0; i < max; i++)
        {
            var outcome = await processor.HandleAsync(message, default);
            outcomes.Add(outcome);
            if (outcome is not MessageOutcome.Reschedule later)
            {
                return outcomes;
            }

            message = new QueuedMessage(later.MessageId, later.Body, 1, DateTimeOffset.UtcNow);
        }

        return outcomes;
    }

    protected static string KeyOf(string scheduleId, LocalDate? date = null) => new RunKey(Firm, scheduleId, date ?? RunDate).Format();

    protected static QueuedMessage Message(string runKey, int deliveryCount = 1) =>
        new(runKey, Encoding.UTF8.GetBytes($"{{\"runKey\":\"{runKey}\"}}"), deliveryCount, DateTimeOffset.UtcNow);

    /// <summary>Delivers the message until the processor completes it (at most <paramref name="max"/> times), like the broker would.</summary>
    protected static async Task<int> DeliverUntilCompleteAsync(RunProcessor processor, string runKey, int firstDelivery = 1, int max = 8)
    {
        for (var delivery = firstDelivery; delivery < firstDelivery + max; delivery++)
        {
            try
            {
                if ((await FollowAsync(processor, Message(runKey, delivery)))[^1] is MessageOutcome.Complete)
                {
                    return delivery;
                }
            }
            catch (Exception ex) when (ex is IOException or SimulatedCrashException)
            {
                // The drain would abandon the message; the broker redelivers it.
            }
        }

        throw new Xunit.Sdk.XunitException($"Run {runKey} did not complete in {max} deliveries.");
    }

    protected async Task<RunRecord> RunAsync(string scheduleId, LocalDate? date = null) =>
        (await Store.GetAsync<RunRecord>(Firm, RunRecord.KeyOf(scheduleId, date ?? RunDate), default))!.Value;

    protected async Task<List<Posting>> PostingsAsync(Func<Posting, bool>? filter = null)
    {
        var all = new List<Posting>();
        string? continuation = null;
        do
        {
            var page = await Store.ListAsync(Firm, Posting.KeyPrefix, 200, continuation, filter, default);
            all.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        return all;
    }

    protected async Task<List<OutboxEmail>> OutboxAsync()
    {
        var page = await Store.ListAsync<OutboxEmail>(Firm, string.Empty, 200, null, null, default);
        return page.Items.Select(i => i.Value).ToList();
    }

    /// <summary>
    /// SPEC §4 for one run: at most one charge for its run key (exactly one once Posted); Σ postings = the charge; no
    /// invoice paid beyond its MMS balance across all live postings; an UpTo run never above its cap.
    /// </summary>
    protected async Task AssertInvariantsAsync(string runKey, long? capMinor)
    {
        var charges = Sandbox.Charges.Where(c => c.RunKey == runKey).ToList();
        Assert.True(charges.Count <= 1, $"{charges.Count} charges for {runKey}");
        var postings = await PostingsAsync(p => p.RunKey == runKey);
        var run = (await Store.GetAsync<RunRecord>(Firm, RunRecord.KeyOf(RunKey.Parse(runKey).ScheduleId, RunKey.Parse(runKey).RunDate), default))!.Value;
        if (run.State == RunState.Posted)
        {
            var charge = Assert.Single(charges);
            Assert.Equal(charge.ChargeId, run.ChargeId);
            Assert.Equal(charge.Amount.Minor, postings.Sum(p => p.AmountMinor));
            Assert.All(postings, p => Assert.Equal(charge.ChargeId, p.ChargeId));
        }
        else
        {
            Assert.Empty(postings);
        }

        if (capMinor is { } cap)
        {
            Assert.All(charges, c => Assert.True(c.Amount.Minor <= cap, $"Charged {c.Amount} over the cap {cap}"));
        }

        var live = await PostingsAsync(p => p.State != PostingState.Voided);
        foreach (var invoice in live.GroupBy(p => p.InvoiceNumber))
        {
            Assert.True(invoice.Sum(p => p.AmountMinor) <= Outstanding[invoice.Key], $"{invoice.Key} paid {invoice.Sum(p => p.AmountMinor)} > {Outstanding[invoice.Key]}");
        }
    }

    private static MmsInvoice Invoice(string number, string client, string matter, LocalDate date, long total, long? outstanding = null) =>
        new(number, client, matter, date, date.PlusDays(30), total, outstanding ?? total, "USD");
}
