using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using PayConnect.Functions.Notifications;
using PayConnect.Functions.Runs;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Storage;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.FanOut;

/// <summary>
/// One firm in Chicago with an MMS mirror, driven through the HTTP API and the timers on the emulators, optionally over a
/// <see cref="FaultyStore"/>; messages are read back from the test host's own runs queue.
/// </summary>
public sealed class ScheduleHarness : IAsyncDisposable
{
    public const string Firm = "firm-fo";

    public static readonly DateTimeZone Chicago = DateTimeZoneProviders.Tzdb["America/Chicago"];

    private readonly Emulators _emulators;

    private ScheduleHarness(Emulators emulators, TestHost host)
    {
        _emulators = emulators;
        Host = host;
        Client = new Client(host) { FirmId = Firm };
        Faults = host.Get<IRecordStore>() as FaultyStore;
    }

    public sealed record Party(string PayerId, string MethodId, string BankAccountId, string AssociationId);

    public TestHost Host { get; }

    public Client Client { get; }

    /// <summary>The store every handler and timer of the host uses, when the harness was started faulty.</summary>
    public FaultyStore? Faults { get; }

    public IRecordStore Store => Host.Get<IRecordStore>();

    public static async Task<ScheduleHarness> StartAsync(Emulators emulators, bool faulty = false, Action<IServiceCollection>? services = null)
    {
        var host = new TestHost(emulators, services: s =>
        {
            if (faulty)
            {
                s.AddSingleton<IRecordStore>(sp => new FaultyStore(new TableRecordStore(sp.GetRequiredService<TableStorage>())));
            }

            services?.Invoke(s);
        });
        var harness = new ScheduleHarness(emulators, host);
        harness.SetFirmTime(2026, 3, 1, 9);
        Ok(await harness.Client.Put($"/api/firms/{Firm}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        Ok(await harness.Client.Post($"/api/firms/{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = "C-100", name = "Acme Holdings" } },
            matters = new[] { new { number = "M-100-1", name = "Acme v. Widget Co", clientNumber = "C-100" } },
            invoices = new[]
            {
                new { number = "INV-1001", clientNumber = "C-100", matterNumber = "M-100-1", invoiceDate = "2026-01-05", dueDate = "2026-02-04", total = 1200.00m, outstandingBalance = 1200.00m },
            },
        }), 200);
        return harness;
    }

    public void SetFirmTime(int year, int month, int day, int hour, int minute = 0) =>
        Host.Clock.Reset(new LocalDateTime(year, month, day, hour, minute).InZoneLeniently(Chicago).ToInstant());

    public void SetFirmTime(LocalDate date, int hour, int minute = 0) => SetFirmTime(date.Year, date.Month, date.Day, hour, minute);

    public async Task<Party> PartyAsync(string client = "C-100")
    {
        var payer = Ok(await Client.Post($"/api/firms/{Firm}/payers", new { name = "Payer of " + client }), 201).Json!["id"]!.GetValue<string>();
        var method = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/payment-methods",
            new { kind = "Card", token = SandboxPaymentGateway.Approve + "." + Lettered(payer), displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        var bank = Ok(await Client.Post($"/api/firms/{Firm}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "1234" }), 201).Json!["id"]!.GetValue<string>();
        var association = Ok(await Client.Post($"/api/firms/{Firm}/payers/{payer}/associations", new { items = new[] { new { level = "Client", number = client } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();
        return new Party(payer, method, bank, association);
    }

    /// <summary>The payer's id spelled without digits: a token whose digits could read as a card number is refused.</summary>
    private static string Lettered(string id) => string.Concat(id.Select(c => char.IsAsciiDigit(c) ? (char)('g' + (c - '0')) : c));

    public object ScheduleBody(Party party, object frequency, string firstRunDate, string name = "Auto-Pay") => new
    {
        paymentMethodId = party.MethodId,
        name,
        bankAccountId = party.BankAccountId,
        frequency,
        firstRunDate,
        amountRule = new { kind = "UpTo", cap = 100.00m },
    };

    /// <summary>Creates a schedule and (unless told otherwise) enrolls the party's association.</summary>
    public async Task<string> CreateAsync(Party party, object frequency, string firstRunDate, bool enrol = true)
    {
        var id = Ok(await Client.Post($"/api/firms/{Firm}/payers/{party.PayerId}/schedules", ScheduleBody(party, frequency, firstRunDate)), 201).Json!["id"]!.GetValue<string>();
        if (enrol)
        {
            await EnrolAsync(id, party);
        }

        return id;
    }

    public async Task EnrolAsync(string scheduleId, Party party) =>
        Ok(await Client.Put($"/api/firms/{Firm}/schedules/{scheduleId}/enrollments", new { associationIds = new[] { party.AssociationId } }), 200);

    public async Task<JsonNode> ScheduleAsync(string scheduleId) => Ok(await Client.Get($"/api/firms/{Firm}/schedules/{scheduleId}"), 200).Json!;

    public Task<FanOutResult> TickAsync() => Host.Get<Scheduling.FanOut>().RunAsync(Guid.NewGuid().ToString("N"), CancellationToken.None);

    /// <summary>Every message on the runs queue, taken off it: their message ids (the run keys).</summary>
    public async Task<List<string>> ReceiveAllAsync()
    {
        await using var client = new ServiceBusClient(_emulators.ServiceBusConnectionString);
        await using var receiver = client.CreateReceiver(Host.Get<QueueNames>().Runs, new ServiceBusReceiverOptions { ReceiveMode = ServiceBusReceiveMode.ReceiveAndDelete });
        var ids = new List<string>();
        while (await receiver.ReceiveMessagesAsync(100, TimeSpan.FromSeconds(1)) is { Count: > 0 } batch)
        {
            ids.AddRange(batch.Select(m => m.MessageId));
        }

        return ids;
    }

    /// <summary>Runs the fan-out, the drain and the outbox until the runs queue is empty.</summary>
    public async Task SettleAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
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

    public List<SandboxCharge> Charges() => Host.Get<SandboxPaymentGateway>().Charges.ToList();

    public static HttpResponseData Ok(HttpResponseData response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    public static string Key(string scheduleId, LocalDate date) => new RunKey(Firm, scheduleId, date).Format();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
