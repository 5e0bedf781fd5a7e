using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;

namespace PayConnect.DevHost.Development;

/// <summary>The demo seed could not finish: an answer of the API it did not expect.</summary>
public sealed class DemoSeedException(string message) : Exception(message);

/// <summary>
/// Creates the demo firm's data through the HTTP API of the running dev host, as the portal and a sync agent would:
/// firm settings, Operating and Trust accounts, an MMS mirror (3 clients, 5 matters, 12 invoices), payers with an
/// approving, a declining and an ACH method, associations at all three levels, Auto-Pays of four frequencies with
/// enrollments, and an Error-Failed AutoPay subscription. Idempotent: what exists (by name or number) is kept, so
/// running it again creates nothing twice. Dates are relative to the dev clock's today at the firm.
/// </summary>
public sealed class DemoSeed(HttpClient http, TextWriter output, string firmId = DemoSeed.FirmId)
{
    public const string FirmId = "demo-firm";
    public const string Subscriber = "oncall@demo-firm.test";

    /// <summary>The seed's User-Agent; the dev host logs the seed's requests at Debug only.</summary>
    public const string UserAgent = "PayConnect.DemoSeed";
    private const string TimeZone = "America/Chicago";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string Firm => $"api/firms/{firmId}";

    /// <returns>How many records the seed created (0 when everything was already there).</returns>
    public async Task<int> RunAsync(CancellationToken ct = default)
    {
        var created = 0;
        output.WriteLine($"Seeding the demo firm '{firmId}' through the HTTP API ...");

        if (await GetAsync($"{Firm}/settings", ct, allowNotFound: true) is null)
        {
            await SendAsync(HttpMethod.Put, $"{Firm}/settings", new { name = "Demo Firm", timeZone = TimeZone, currency = "USD" }, ct);
            created++;
            Progress("firm settings", "created (Demo Firm, America/Chicago, USD)");
        }
        else
        {
            Progress("firm settings", "exist");
        }

        var settings = (await GetAsync($"{Firm}/settings", ct))!;
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(settings["timeZone"]!.GetValue<string>()) ?? DateTimeZoneProviders.Tzdb[TimeZone];
        var clock = (await GetAsync("dev/clock", ct))!;
        var today = InstantPattern.ExtendedIso.Parse(clock["now"]!.GetValue<string>()).Value.InZone(zone).Date;

        var operating = await EnsureBankAccountAsync("Operating", "Operating", "6789", ct);
        var trust = await EnsureBankAccountAsync("Trust (IOLTA)", "Trust", "4321", ct);
        created += operating.Created + trust.Created;

        created += await EnsureMmsAsync(today, ct);

        var grace = await EnsurePayerAsync("Grace Harper", "grace.harper@example.test", ct);
        var daniel = await EnsurePayerAsync("Daniel Okafor", "daniel.okafor@example.test", ct);
        var brightwater = await EnsurePayerAsync("Brightwater Accounts Payable", "ap@brightwater.example.test", ct);
        created += grace.Created + daniel.Created + brightwater.Created;

        var graceCard = await EnsurePaymentMethodAsync(grace.Id, "Card", "pm_sandbox_approve", "Visa", "4242", today.Year + 3, ct);
        var danielCard = await EnsurePaymentMethodAsync(daniel.Id, "Card", "pm_sandbox_stolen_card", "Mastercard", "0019", today.Year + 2, ct);
        var brightwaterBank = await EnsurePaymentMethodAsync(brightwater.Id, "Ach", "pm_sandbox_ach_approve", "First Prairie Bank", "1111", null, ct);
        created += graceCard.Created + danielCard.Created + brightwaterBank.Created;

        var graceClient = await EnsureAssociationAsync(grace.Id, "Client", "C-1001", ct);
        var danielMatter = await EnsureAssociationAsync(daniel.Id, "Matter", "M-1002-01", ct);
        var danielInvoice = await EnsureAssociationAsync(daniel.Id, "Invoice", "INV-5009", ct);
        var brightwaterMatter = await EnsureAssociationAsync(brightwater.Id, "Matter", "M-1003-01", ct);
        var brightwaterInvoice = await EnsureAssociationAsync(brightwater.Id, "Invoice", "INV-5012", ct);
        created += graceClient.Created + danielMatter.Created + danielInvoice.Created + brightwaterMatter.Created + brightwaterInvoice.Created;

        created += await EnsureScheduleAsync(grace.Id, "Harper monthly", graceCard.Id, operating.Id, new { kind = "Monthly" }, today.PlusDays(3),
            new { kind = "UpTo", cap = 1000.00m }, "Harper & Lane - monthly Auto-Pay", [graceClient.Id], ct);
        created += await EnsureScheduleAsync(brightwater.Id, "Brightwater weekly", brightwaterBank.Id, trust.Id, new { kind = "Weekly" }, today.PlusDays(2),
            new { kind = "UpTo", cap = 500.00m }, "Brightwater - weekly retainer", [brightwaterMatter.Id, brightwaterInvoice.Id], ct);
        created += await EnsureScheduleAsync(daniel.Id, "Okafor estate twice-monthly", danielCard.Id, operating.Id, new { kind = "TwiceMonthly", day1 = 1, day2 = 15 }, today.PlusDays(1),
            new { kind = "PayAllOutstanding" }, null, [danielMatter.Id], ct);
        created += await EnsureScheduleAsync(daniel.Id, "Okafor one-time INV-5009", danielCard.Id, operating.Id, new { kind = "Once" }, today.PlusDays(5),
            new { kind = "PayAllOutstanding" }, null, [danielInvoice.Id], ct);

        var subscription = await SendAsync(HttpMethod.Post, $"{Firm}/notification-subscriptions",
            new { email = Subscriber, displayName = "On-call engineer", types = new[] { "ErrorFailedAutoPay" } }, ct, allowConflict: true);
        created += subscription is null ? 0 : 1;
        Progress($"Error-Failed AutoPay subscription {Subscriber}", subscription is null ? "exists" : "created");

        output.WriteLine(created == 0 ? "Demo seed: everything was already there." : $"Demo seed: {created} records created.");
        return created;
    }

    private async Task<(string Id, int Created)> EnsureBankAccountAsync(string name, string kind, string last4, CancellationToken ct)
    {
        var existing = (await ListAsync($"{Firm}/bank-accounts", ct)).FirstOrDefault(a => Text(a, "name") == name);
        if (existing is not null)
        {
            Progress($"bank account {name}", "exists");
            return (Text(existing, "id"), 0);
        }

        var created = (await SendAsync(HttpMethod.Post, $"{Firm}/bank-accounts", new { name, kind, last4 }, ct))!;
        Progress($"bank account {name}", $"created ({kind}, ending {last4})");
        return (Text(created, "id"), 1);
    }

    private async Task<int> EnsureMmsAsync(LocalDate today, CancellationToken ct)
    {
        // Pushed once: pushing again later would reset balances that runs have since paid down in a real MMS.
        var found = (await GetAsync($"{Firm}/mms/search?by=ClientNumber&q=C-1001", ct))!["items"]!.AsArray();
        if (found.Count > 0)
        {
            Progress("MMS mirror", "has the demo clients");
            return 0;
        }

        var invoices = new (string Number, string Client, string Matter, int AgeDays, decimal Total, decimal Outstanding)[]
        {
            ("INV-5001", "C-1001", "M-1001-01", 150, 1200.00m, 450.00m),
            ("INV-5002", "C-1001", "M-1001-01", 95, 800.00m, 800.00m),
            ("INV-5003", "C-1001", "M-1001-02", 60, 2250.00m, 2250.00m),
            ("INV-5004", "C-1001", "M-1001-02", 12, 375.50m, 375.50m),
            ("INV-5005", "C-1002", "M-1002-01", 120, 640.00m, 140.00m),
            ("INV-5006", "C-1002", "M-1002-01", 45, 980.25m, 980.25m),
            ("INV-5007", "C-1002", "M-1002-01", 8, 310.00m, 310.00m),
            ("INV-5008", "C-1003", "M-1003-01", 110, 1500.00m, 1500.00m),
            ("INV-5009", "C-1003", "M-1003-02", 70, 725.00m, 725.00m),
            ("INV-5010", "C-1003", "M-1003-01", 40, 430.00m, 215.00m),
            ("INV-5011", "C-1003", "M-1003-02", 20, 1890.00m, 1890.00m),
            ("INV-5012", "C-1003", "M-1003-01", 3, 260.00m, 260.00m),
        };
        var stored = (await SendAsync(HttpMethod.Post, $"{Firm}/mms/ingest", new
        {
            clients = new[]
            {
                new { number = "C-1001", name = "Harper & Lane Holdings" },
                new { number = "C-1002", name = "Okafor Family Trust" },
                new { number = "C-1003", name = "Brightwater Logistics LLC" },
            },
            matters = new[]
            {
                new { number = "M-1001-01", name = "Commercial lease review", clientNumber = "C-1001" },
                new { number = "M-1001-02", name = "Employment dispute", clientNumber = "C-1001" },
                new { number = "M-1002-01", name = "Estate administration", clientNumber = "C-1002" },
                new { number = "M-1003-01", name = "Trademark portfolio", clientNumber = "C-1003" },
                new { number = "M-1003-02", name = "Supplier contract claim", clientNumber = "C-1003" },
            },
            invoices = invoices.Select(i => new
            {
                number = i.Number,
                clientNumber = i.Client,
                matterNumber = i.Matter,
                invoiceDate = LocalDatePattern.Iso.Format(today.PlusDays(-i.AgeDays)),
                dueDate = LocalDatePattern.Iso.Format(today.PlusDays(30 - i.AgeDays)),
                total = i.Total,
                outstandingBalance = i.Outstanding,
                currency = "USD",
            }),
        }, ct))!;
        Progress("MMS mirror", $"pushed {stored["clients"]} clients, {stored["matters"]} matters, {stored["invoices"]} invoices");
        return stored["clients"]!.GetValue<int>() + stored["matters"]!.GetValue<int>() + stored["invoices"]!.GetValue<int>();
    }

    private async Task<(string Id, int Created)> EnsurePayerAsync(string name, string email, CancellationToken ct)
    {
        var existing = (await ListAsync($"{Firm}/payers", ct)).FirstOrDefault(p => Text(p, "name") == name);
        if (existing is not null)
        {
            Progress($"payer {name}", "exists");
            return (Text(existing, "id"), 0);
        }

        var created = (await SendAsync(HttpMethod.Post, $"{Firm}/payers", new { name, email }, ct))!;
        Progress($"payer {name}", "created");
        return (Text(created, "id"), 1);
    }

    private async Task<(string Id, int Created)> EnsurePaymentMethodAsync(string payerId, string kind, string token, string displayName, string last4, int? expiryYear, CancellationToken ct)
    {
        var existing = (await ListAsync($"{Firm}/payers/{payerId}/payment-methods", ct)).FirstOrDefault(m => Text(m, "last4") == last4 && Text(m, "displayName") == displayName);
        if (existing is not null)
        {
            return (Text(existing, "id"), 0);
        }

        object body = expiryYear is { } year
            ? new { kind, token, displayName, last4, expiryMonth = 12, expiryYear = year }
            : new { kind, token, displayName, last4 };
        var created = (await SendAsync(HttpMethod.Post, $"{Firm}/payers/{payerId}/payment-methods", body, ct))!;
        Progress($"  payment method {displayName} ending {last4}", $"created ({token})");
        return (Text(created, "id"), 1);
    }

    private async Task<(string Id, int Created)> EnsureAssociationAsync(string payerId, string level, string number, CancellationToken ct)
    {
        var existing = (await ListAsync($"{Firm}/payers/{payerId}/associations", ct)).FirstOrDefault(a => Text(a, "level") == level && NumberOf(a) == number);
        if (existing is not null)
        {
            return (Text(existing, "id"), 0);
        }

        var created = (await SendAsync(HttpMethod.Post, $"{Firm}/payers/{payerId}/associations", new { items = new[] { new { level, number } } }, ct))!;
        Progress($"  association {level} {number}", "created");
        return (Text(created["items"]![0]!, "id"), 1);

        static string? NumberOf(JsonNode a) => Text(a, "level") switch
        {
            "Client" => a["clientNumber"]?.GetValue<string>(),
            "Matter" => a["matterNumber"]?.GetValue<string>(),
            _ => a["invoiceNumber"]?.GetValue<string>(),
        };
    }

    private async Task<int> EnsureScheduleAsync(
        string payerId, string name, string paymentMethodId, string bankAccountId, object frequency, LocalDate firstRunDate, object amountRule, string? arMessage,
        IReadOnlyList<string> associationIds, CancellationToken ct)
    {
        var existing = (await ListAsync($"{Firm}/payers/{payerId}/schedules", ct)).FirstOrDefault(s => Text(s, "name") == name);
        if (existing is not null)
        {
            Progress($"  Auto-Pay {name}", "exists");
            return 0;
        }

        var created = (await SendAsync(HttpMethod.Post, $"{Firm}/payers/{payerId}/schedules", new
        {
            paymentMethodId,
            name,
            bankAccountId,
            arMessage,
            frequency,
            firstRunDate = LocalDatePattern.Iso.Format(firstRunDate),
            amountRule,
        }, ct))!;
        await SendAsync(HttpMethod.Put, $"{Firm}/schedules/{Text(created, "id")}/enrollments", new { associationIds }, ct);
        Progress($"  Auto-Pay {name}", $"created ({Text(created, "frequency")}, first run {LocalDatePattern.Iso.Format(firstRunDate)}, {associationIds.Count} enrolled)");
        return 2;
    }

    private async Task<List<JsonNode>> ListAsync(string path, CancellationToken ct)
    {
        var items = new List<JsonNode>();
        string? continuation = null;
        do
        {
            var page = (await GetAsync($"{path}?pageSize=200" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)), ct))!;
            items.AddRange(page["items"]!.AsArray().Select(i => i!));
            continuation = page["continuation"]?.GetValue<string>();
        }
        while (continuation is not null);
        return items;
    }

    private async Task<JsonNode?> GetAsync(string path, CancellationToken ct, bool allowNotFound = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.UserAgent.ParseAdd(UserAgent);
        using var response = await http.SendAsync(request, ct);
        if (allowNotFound && response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        return await ReadAsync(HttpMethod.Get, path, response, ct);
    }

    /// <returns>The response body, or null when <paramref name="allowConflict"/> and the API answered 409 (it exists).</returns>
    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, object body, CancellationToken ct, bool allowConflict = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json) };
        request.Headers.UserAgent.ParseAdd(UserAgent);
        using var response = await http.SendAsync(request, ct);
        return allowConflict && response.StatusCode == System.Net.HttpStatusCode.Conflict ? null : await ReadAsync(method, path, response, ct);
    }

    private static async Task<JsonNode> ReadAsync(HttpMethod method, string path, HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        return response.IsSuccessStatusCode && text.Length > 0
            ? JsonNode.Parse(text)!
            : throw new DemoSeedException(string.Create(CultureInfo.InvariantCulture, $"{method} /{path} answered {(int)response.StatusCode}: {text}"));
    }

    private void Progress(string what, string outcome) => output.WriteLine($"  {what,-50} {outcome}");

    private static string Text(JsonNode node, string name) => node[name] is { } value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : node[name]?.ToJsonString() ?? "";
}
