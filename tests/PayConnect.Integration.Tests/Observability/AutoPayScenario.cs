using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Observability;

/// <summary>
/// One firm set up through the API (settings, an MMS mirror of one client with two invoices, payers with a card, a
/// bank account, associations, Auto-Pays) whose runs move only by the FanOut, RunDrain and EmailOutbox timers on the
/// emulators, as a new user meets the engine.
/// </summary>
internal sealed class AutoPayScenario : IAsyncDisposable
{
    public const string Firm = "firm-ops";

    /// <summary>What the two invoices of a client sum to (1,200.00 + 300.25) in minor units.</summary>
    public const long Outstanding = 150025;

    private static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];
    private readonly Emulators _emulators;

    private AutoPayScenario(Emulators emulators, TestHost host)
    {
        _emulators = emulators;
        Host = host;
        Client = new Client(host) { FirmId = Firm };
    }

    public TestHost Host { get; }

    public Client Client { get; }

    public sealed record Party(string PayerId, string MethodId, string BankAccountId, string AssociationId);

    public static async Task<AutoPayScenario> StartAsync(
        Emulators emulators,
        Action<Dictionary<string, string?>>? settings = null,
        Action<IServiceCollection>? services = null,
        Action<IServiceCollection>? replace = null)
    {
        var scenario = new AutoPayScenario(emulators, new TestHost(emulators, settings, services, replace));
        scenario.SetFirmTime(2026, 2, 20);
        Ok(await scenario.Client.Put($"/api/firms/{Firm}/settings", new { name = "Ops & Partners LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        return scenario;
    }

    /// <summary>A client with invoices of 1,200.00 and 300.25 outstanding in the MMS mirror.</summary>
    public async Task IngestClientAsync(string client)
    {
        Ok(await Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = client, name = "Client " + client } },
            matters = new[] { new { number = client + "-M", name = "Matter of " + client, clientNumber = client } },
            invoices = new[]
            {
                new { number = client + "-A", clientNumber = client, matterNumber = client + "-M", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 1200.00m },
                new { number = client + "-B", clientNumber = client, matterNumber = client + "-M", invoiceDate = "2026-02-05", dueDate = "2026-03-07", total = 800.50m, outstandingBalance = 300.25m },
            },
        }), 200);
    }

    /// <summary>A payer of <paramref name="client"/> with a saved card (<paramref name="token"/>), a bank account and a client-level association.</summary>
    public async Task<Party> PartyAsync(string client, string token, string payerName = "Payer", string last4 = "4242", string bankLast4 = "1234", string? stripeAccountId = null)
    {
        var payer = Ok(await Client.Post($"/api/firms/{Firm}/payers", new { name = payerName }), 201).Json!["id"]!.GetValue<string>();
        var method = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods",
            new { kind = "Card", token, displayName = "Visa", last4, expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        var bank = Ok(await Client.Post($"/api/firms/{Firm}/bank-accounts", stripeAccountId is null
            ? new { name = "Operating", kind = "Operating", last4 = bankLast4 }
            : new { name = "Operating", kind = "Operating", last4 = bankLast4, stripeAccountId }), 201).Json!["id"]!.GetValue<string>();
        var association = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/associations", new { items = new[] { new { level = "Client", number = client } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        return new Party(payer, method, bank, association);
    }

    /// <summary>A monthly Auto-Pay that pays everything outstanding, first on <paramref name="firstRunDate"/>.</summary>
    public async Task<string> AutoPayAsync(Party party, string firstRunDate)
    {
        var id = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.MethodId,
            name = "Auto-Pay " + TestText.WithoutDigits(party.PayerId),
            bankAccountId = party.BankAccountId,
            frequency = new { kind = "Monthly" },
            firstRunDate,
            amountRule = new { kind = "PayAllOutstanding" },
        }), 201).Json!["id"]!.GetValue<string>();
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);
        return id;
    }

    public async Task SubscribeAsync(string email) =>
        Ok(await Client.Post($"/api/firms/{Firm}/notification-subscriptions", new { email, types = new[] { "ErrorFailedAutoPay" } }), 201);

    public void SetFirmTime(int year, int month, int day) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, 9, 0).InZoneLeniently(Chicago).ToInstant());

    public static string RunKey(string schedule, string date) => $"{Firm}/{schedule}/{date}";

    /// <summary>Fires the timers until the runs queue is empty and nothing is scheduled on it (waits happen in real time).</summary>
    public async Task SettleAsync(TimeSpan? max = null)
    {
        var deadline = DateTime.UtcNow + (max ?? TimeSpan.FromSeconds(45));
        var queue = Host.Get<QueueNames>().Runs;
        while (true)
        {
            await Host.Function<FanOutFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<RunDrainFunction>().Run(new TimerInfo(), CancellationToken.None);
            await Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
            var counts = _emulators.Broker.GetMessageCounts(queue);
            if (counts.ActiveMessageCount == 0 && counts.ScheduledMessageCount == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The runs queue did not settle: {counts}");
            await Task.Delay(250);
        }
    }

    public async Task<JsonNode> RunAsync(string schedule, string date) =>
        Ok(await Client.Get($"/api/firms/{Firm}/runs/{schedule}/{date}"), 200).Json!;

    public List<SandboxCharge> Charges() => Host.Get<SandboxPaymentGateway>().Charges.ToList();

    public static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
