using System.Globalization;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;

namespace PayConnect.Walkthrough;

/// <summary>Where and as whom the walkthrough runs.</summary>
public sealed record WalkthroughOptions
{
    public Uri BaseUrl { get; init; } = new("http://localhost:7071");

    public string FirmId { get; init; } = "demo-firm";

    /// <summary>Makes every name and number of one invocation unique, so the walkthrough can run again and again on one host.</summary>
    public string RunId { get; init; } = Guid.NewGuid().ToString("N")[..6];

    /// <summary>The staff address that receives the Error-Failed AutoPay email (subscribed if it is not yet).</summary>
    public string Subscriber { get; init; } = "oncall@demo-firm.test";
}

/// <summary>An email the mail sink holds, as <c>GET /dev/mail/{file}?format=json</c> returns it.</summary>
public sealed record SinkEmail(string File, IReadOnlyList<string> To, string Subject, string Text);

/// <summary>What the walkthrough did, for a test to assert on.</summary>
public sealed record WalkthroughResult(
    string RunId,
    LocalDate RunDate,
    string ApprovedPayerName,
    string ApprovedScheduleName,
    JsonNode ApprovedRun,
    IReadOnlyList<JsonNode> ApprovedPostings,
    string DeclinedPayerName,
    string DeclinedScheduleName,
    JsonNode DeclinedRun,
    IReadOnlyList<SinkEmail> FailureEmails);

/// <summary>
/// Drives the HTTP API of a running dev host end to end, printing each step: MMS search, associations, an Auto-Pay
/// with each field, enrollment, the upcoming dates, the dev clock moved to the first run, the timers run, the run
/// record and its postings, then a declined Auto-Pay, its failed run and the Error-Failed AutoPay email.
/// Any unexpected answer throws <see cref="WalkthroughException"/>.
/// </summary>
public sealed class Walkthrough(HttpClient http, TextWriter output, WalkthroughOptions options)
{
    private static readonly LocalDatePattern IsoDate = LocalDatePattern.Iso;
    private static readonly string[] FinalRunStates = ["Posted", "NothingDue", "Failed", "Skipped"];

    private readonly ApiClient _api = new(http);
    private int _step;

    private string Firm => $"/api/firms/{options.FirmId}";

    public async Task<WalkthroughResult> RunAsync(CancellationToken ct = default)
    {
        var run = options.RunId;
        output.WriteLine($"PayConnect walkthrough {run} against {options.BaseUrl} (firm {options.FirmId})");

        Step("Check the host: health, and the dev clock only the dev host has");
        ApiClient.Expect(await _api.GetAsync("/api/health", ct), 200);
        var clock = await _api.GetAsync("/dev/clock", ct);
        if (clock.Status == 404)
        {
            throw new WalkthroughException("GET /dev/clock answered 404: this is not the dev host (the /dev endpoints exist only there). Start it with: bash tools/run-local.sh");
        }

        var now = ParseInstant(ApiClient.Expect(clock, 200).Node["now"]);
        Show("dev clock now", InstantPattern.ExtendedIso.Format(now));

        // The firm, its bank account and the on-call subscription are the demo seed's; created here only when missing.
        Step("Firm settings (time zone, currency)");
        var settings = await _api.GetAsync($"{Firm}/settings", ct);
        if (settings.Status == 404)
        {
            settings = await Request("PUT", $"{Firm}/settings", new { name = "Demo Firm", timeZone = "America/Chicago", currency = "USD" }, ct, 200, 201);
        }

        var firmSettings = ApiClient.Expect(settings, 200, 201).Node;
        var zoneId = Text(firmSettings, "timeZone");
        var currency = firmSettings["currency"]?.GetValue<string>() ?? "USD";
        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(zoneId) ?? throw new WalkthroughException($"The firm's time zone '{zoneId}' is unknown.");
        var today = now.InZone(zone).Date;
        Show("time zone", zoneId);
        Show("today at the firm", IsoDate.Format(today));

        Step("The firm's Operating bank account");
        var accounts = ApiClient.Expect(await _api.GetAsync($"{Firm}/bank-accounts", ct), 200).Node["items"]!.AsArray();
        var operating = accounts.FirstOrDefault(a => a?["kind"]?.GetValue<string>() == "Operating")
            ?? (await Request("POST", $"{Firm}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "6789" }, ct, 201)).Node;
        var bankAccountId = Text(operating, "id");
        Show("bank account", $"{Text(operating, "name")} ({bankAccountId}, ending {Text(operating, "last4")})");

        Step($"Subscribe {options.Subscriber} to Error-Failed AutoPay emails");
        var subscribed = await Request("POST", $"{Firm}/notification-subscriptions", new { email = options.Subscriber, displayName = "On-call", types = new[] { "ErrorFailedAutoPay" } }, ct, 201, 409);
        Show("subscription", subscribed.Status == 409 ? "already subscribed" : "created");

        // Invoices of this invocation only, so earlier walkthroughs' postings never change what this one pays.
        var clientName = $"Walkthrough {run} Holdings";
        var clientNumber = $"WT-{run}-C1";
        var declinedClientNumber = $"WT-{run}-C2";
        var invoices = new[]
        {
            new Invoice($"WT-{run}-INV1", clientNumber, $"WT-{run}-M1", today.PlusDays(-75), 50000, 40000),
            new Invoice($"WT-{run}-INV2", clientNumber, $"WT-{run}-M1", today.PlusDays(-45), 30000, 25000),
            new Invoice($"WT-{run}-INV3", clientNumber, $"WT-{run}-M2", today.PlusDays(-20), 60000, 60000),
            new Invoice($"WT-{run}-INV4", clientNumber, $"WT-{run}-M2", today.PlusDays(-5), 12500, 12500),
            new Invoice($"WT-{run}-INV5", declinedClientNumber, $"WT-{run}-M3", today.PlusDays(-30), 32000, 32000),
        };
        Step("The firm's sync agent pushes MMS data (clients, matters, invoices) to the mirror");
        var ingested = await Request("POST", $"{Firm}/mms/ingest", new
        {
            clients = new[] { new { number = clientNumber, name = clientName }, new { number = declinedClientNumber, name = $"Walkthrough {run} Declined Co" } },
            matters = new[]
            {
                new { number = $"WT-{run}-M1", name = "General retainer", clientNumber },
                new { number = $"WT-{run}-M2", name = "Lease dispute", clientNumber },
                new { number = $"WT-{run}-M3", name = "Trademark filing", clientNumber = declinedClientNumber },
            },
            invoices = invoices.Select(i => new
            {
                number = i.Number,
                clientNumber = i.ClientNumber,
                matterNumber = i.MatterNumber,
                invoiceDate = IsoDate.Format(i.Date),
                dueDate = IsoDate.Format(i.Date.PlusDays(30)),
                total = Major(i.TotalMinor),
                outstandingBalance = Major(i.OutstandingMinor),
                currency,
            }),
        }, ct, 200);
        Show("stored", ingested.Node.ToJsonString());

        Step($"Search the MMS by client name \"{clientName}\"");
        var found = ApiClient.Expect(await _api.GetAsync($"{Firm}/mms/search?by=ClientName&q={Uri.EscapeDataString(clientName)}", ct), 200).Node["items"]!.AsArray();
        foreach (var item in found)
        {
            Show("result", $"{Text(item!, "level")} {Text(item!, "number")}: {Text(item!, "displayName")}");
        }

        var tickedClient = found.FirstOrDefault(i => i?["level"]?.GetValue<string>() == "Client" && i["number"]?.GetValue<string>() == clientNumber)
            ?? throw new WalkthroughException($"The search for \"{clientName}\" did not find client {clientNumber}.");

        Step("Create the payer who pays by card");
        var payerName = $"Avery Quinn (walkthrough {run})";
        var payerId = Text((await Request("POST", $"{Firm}/payers", new { name = payerName, email = $"avery.{run}@example.test" }, ct, 201, key: $"wt-{run}-payer-1")).Node, "id");
        Show("payer", $"{payerName} ({payerId})");

        Step("Tick the client result and create the association");
        var association = (await Request("POST", $"{Firm}/payers/{payerId}/associations", new
        {
            items = new[] { new { level = Text(tickedClient, "level"), number = Text(tickedClient, "number") } },
        }, ct, 201, key: $"wt-{run}-assoc-1")).Node["items"]![0]!;
        Show("association", $"{Text(association, "level")} {Text(association, "displayName")} ({Text(association, "id")})");

        Step("Save the payer's card (a sandbox token that approves)");
        var methodId = Text((await Request("POST", $"{Firm}/payers/{payerId}/payment-methods",
            new { kind = "Card", token = "pm_sandbox_approve", displayName = "Visa", last4 = "4242", expiryMonth = 12, expiryYear = today.Year + 3 }, ct, 201, key: $"wt-{run}-pm-1")).Node, "id");
        Show("payment method", $"Visa ending 4242 ({methodId})");

        var runDate = today.PlusDays(1);
        var scheduleName = $"Walkthrough {run} monthly";
        const long capMinor = 80000;
        Step("Create the Auto-Pay: monthly, up to a cap, from the first run date");
        var schedule = (await Request("POST", $"{Firm}/payers/{payerId}/schedules", new
        {
            paymentMethodId = methodId,
            name = scheduleName,
            bankAccountId,
            arMessage = $"Auto-Pay {run} - thank you",
            frequency = new { kind = "Monthly" },
            firstRunDate = IsoDate.Format(runDate),
            amountRule = new { kind = "UpTo", cap = Major(capMinor) },
        }, ct, 201, key: $"wt-{run}-schedule-1")).Node;
        var scheduleId = Text(schedule, "id");
        foreach (var field in new[] { "id", "name", "paymentMethodId", "bankAccountId", "arMessage", "frequency", "firstRunDate", "state" })
        {
            Show(field, schedule[field]?.ToString() ?? "");
        }

        Show("amountRule", schedule["amountRule"]!.ToJsonString());

        Step("Manage Enrollments: enroll the association in the Auto-Pay");
        var enrolled = (await Request("PUT", $"{Firm}/schedules/{scheduleId}/enrollments", new { associationIds = new[] { Text(association, "id") } }, ct, 200)).Node;
        Show("enrolled", $"{enrolled["items"]!.AsArray().Count} association(s)");
        var saved = ApiClient.Expect(await _api.GetAsync($"{Firm}/schedules/{scheduleId}", ct), 200).Node;
        Show("lifetime", Text(saved, "lifetime"));
        Show("nextRunDate", saved["nextRunDate"]?.ToString() ?? "(none)");

        Step("Preview the upcoming run dates");
        var upcoming = ApiClient.Expect(await _api.GetAsync($"{Firm}/schedules/{scheduleId}/upcoming?count=4", ct), 200).Node["dates"]!.AsArray()
            .Select(d => d!.GetValue<string>()).ToList();
        Show("upcoming", string.Join(", ", upcoming));
        if (upcoming.FirstOrDefault() != IsoDate.Format(runDate))
        {
            throw new WalkthroughException($"The first upcoming date is {upcoming.FirstOrDefault()}, not the first run date {IsoDate.Format(runDate)}.");
        }

        Step("A second payer whose card is declined (stolen card), with an Invoice-level association and a one-time Auto-Pay");
        var declinedPayerName = $"Blake Stone (walkthrough {run})";
        var declinedPayerId = Text((await Request("POST", $"{Firm}/payers", new { name = declinedPayerName }, ct, 201, key: $"wt-{run}-payer-2")).Node, "id");
        var invoiceResult = ApiClient.Expect(await _api.GetAsync($"{Firm}/mms/search?by=InvoiceNumber&q={Uri.EscapeDataString(invoices[4].Number)}", ct), 200).Node["items"]!.AsArray()
            .FirstOrDefault(i => i?["number"]?.GetValue<string>() == invoices[4].Number)
            ?? throw new WalkthroughException($"The search did not find invoice {invoices[4].Number}.");
        var declinedAssociation = (await Request("POST", $"{Firm}/payers/{declinedPayerId}/associations", new
        {
            items = new[] { new { level = Text(invoiceResult, "level"), number = Text(invoiceResult, "number") } },
        }, ct, 201, key: $"wt-{run}-assoc-2")).Node["items"]![0]!;
        var declinedMethodId = Text((await Request("POST", $"{Firm}/payers/{declinedPayerId}/payment-methods",
            new { kind = "Card", token = "pm_sandbox_stolen_card", displayName = "Mastercard", last4 = "0019", expiryMonth = 6, expiryYear = today.Year + 2 }, ct, 201, key: $"wt-{run}-pm-2")).Node, "id");
        var declinedScheduleName = $"Walkthrough {run} one-time";
        var declinedScheduleId = Text((await Request("POST", $"{Firm}/payers/{declinedPayerId}/schedules", new
        {
            paymentMethodId = declinedMethodId,
            name = declinedScheduleName,
            bankAccountId,
            frequency = new { kind = "Once" },
            firstRunDate = IsoDate.Format(runDate),
            amountRule = new { kind = "PayAllOutstanding" },
        }, ct, 201, key: $"wt-{run}-schedule-2")).Node, "id");
        await Request("PUT", $"{Firm}/schedules/{declinedScheduleId}/enrollments", new { associationIds = new[] { Text(declinedAssociation, "id") } }, ct, 200);
        Show("payer", $"{declinedPayerName} ({declinedPayerId})");
        Show("schedule", $"{declinedScheduleName} ({declinedScheduleId}), Once on {IsoDate.Format(runDate)}, PayAllOutstanding, Mastercard ending 0019");

        // 9:00 at the firm on the run date: the fan-out's "today" for the firm is then the run date.
        var target = runDate.At(new LocalTime(9, 0)).InZoneLeniently(zone).ToInstant();
        Step($"Advance the dev clock to the first run date ({IsoDate.Format(runDate)} 09:00 {zoneId})");
        var advanced = (await Request("POST", "/dev/clock/advance", new { to = InstantPattern.ExtendedIso.Format(target) }, ct, 200)).Node;
        Show("dev clock now", Text(advanced, "now"));

        Step("Run the FanOut timer: it sends the due runs to the queue");
        await RunTimerAsync("FanOut", ct);
        Step("Run the RunDrain timer: it allocates, charges and posts each run");
        await RunTimerAsync("RunDrain", ct);

        Step($"Read the run record of \"{scheduleName}\" on {IsoDate.Format(runDate)}");
        var approvedRun = await FinalRunAsync(scheduleId, runDate, ct);
        ShowRun(approvedRun, currency);
        if (Text(approvedRun, "state") != "Posted")
        {
            throw new WalkthroughException($"The approved run is {Text(approvedRun, "state")}, expected Posted: {approvedRun.ToJsonString()}");
        }

        var charged = approvedRun["amountMinor"]!.GetValue<long>();
        if (charged != capMinor)
        {
            throw new WalkthroughException($"The run charged {Money(charged, currency)}, expected the cap {Money(capMinor, currency)} (more than that was outstanding).");
        }

        Step("List the run's postings: one per invoice paid, oldest invoice first, adding up to the charge");
        var postings = ApiClient.Expect(await _api.GetAsync($"{Firm}/postings?scheduleId={scheduleId}", ct), 200).Node["items"]!.AsArray()
            .Select(p => p!)
            .OrderBy(p => invoices.Single(i => i.Number == Text(p, "invoiceNumber")).Date)
            .ToList();
        foreach (var posting in postings)
        {
            var invoice = invoices.Single(i => i.Number == Text(posting, "invoiceNumber"));
            Show("posting", $"{invoice.Number} (invoiced {IsoDate.Format(invoice.Date)}, outstanding {Money(invoice.OutstandingMinor, currency)}): {Money(posting["amountMinor"]!.GetValue<long>(), currency)} {Text(posting, "state")}");
        }

        var sum = postings.Sum(p => p["amountMinor"]!.GetValue<long>());
        Show("sum of postings", $"{Money(sum, currency)} = charge {Money(charged, currency)}");
        if (sum != charged)
        {
            throw new WalkthroughException($"The postings add up to {Money(sum, currency)}, not the charge {Money(charged, currency)}.");
        }

        var lineOrder = approvedRun["lines"]!.AsArray().Select(l => Text(l!, "invoiceNumber")).ToList();
        var oldestFirst = invoices.Where(i => lineOrder.Contains(i.Number)).OrderBy(i => i.Date).Select(i => i.Number).ToList();
        if (!lineOrder.SequenceEqual(oldestFirst))
        {
            throw new WalkthroughException($"The run paid {string.Join(", ", lineOrder)}, not oldest first ({string.Join(", ", oldestFirst)}).");
        }

        Step($"Read the run record of \"{declinedScheduleName}\": the card was declined");
        var declinedRun = await FinalRunAsync(declinedScheduleId, runDate, ct);
        ShowRun(declinedRun, currency);
        if (Text(declinedRun, "state") != "Failed")
        {
            throw new WalkthroughException($"The declined run is {Text(declinedRun, "state")}, expected Failed: {declinedRun.ToJsonString()}");
        }

        Step("Run the EmailOutbox timer: it sends the Error-Failed AutoPay emails");
        await RunTimerAsync("EmailOutbox", ct);

        Step($"Read the Error-Failed AutoPay email to {options.Subscriber} from the mail sink (GET /dev/mail)");
        var emails = await FailureEmailsAsync(declinedScheduleName, ct);
        foreach (var email in emails)
        {
            Show("file", email.File);
            Show("to", string.Join(", ", email.To));
            Show("subject", email.Subject);
            foreach (var line in email.Text.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.Length > 0))
            {
                output.WriteLine($"      | {line}");
            }
        }

        if (emails.Count != 1)
        {
            throw new WalkthroughException($"Expected exactly one Error-Failed AutoPay email to {options.Subscriber} about \"{declinedScheduleName}\", found {emails.Count}.");
        }

        output.WriteLine();
        output.WriteLine($"Walkthrough {run} passed: the card run was charged {Money(charged, currency)} and posted; the declined run failed and {options.Subscriber} was emailed.");
        return new WalkthroughResult(run, runDate, payerName, scheduleName, approvedRun, postings, declinedPayerName, declinedScheduleName, declinedRun, emails);
    }

    private async Task<ApiResponse> Request(string method, string path, object body, CancellationToken ct, params int[] statuses) =>
        await Request(method, path, body, ct, statuses, key: null);

    private async Task<ApiResponse> Request(string method, string path, object body, CancellationToken ct, int status, string? key) =>
        await Request(method, path, body, ct, [status], key);

    private async Task<ApiResponse> Request(string method, string path, object body, CancellationToken ct, int[] statuses, string? key)
    {
        var json = ApiClient.Serialize(body);
        output.WriteLine($"    {method} {path}{(key is null ? "" : $"  (Idempotency-Key: {key})")}");
        output.WriteLine($"      {(json.Length > 300 ? json[..300] + " ..." : json)}");
        var response = method switch
        {
            "POST" => await _api.PostAsync(path, body, key, ct),
            "PUT" => await _api.PutAsync(path, body, ct),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
        output.WriteLine($"    -> {response.Status}");
        return ApiClient.Expect(response, statuses);
    }

    private async Task<JsonNode> RunTimerAsync(string name, CancellationToken ct)
    {
        output.WriteLine($"    POST /dev/timers/{name}/run");
        var report = ApiClient.Expect(await _api.PostAsync($"/dev/timers/{name}/run", null, null, ct), 200).Node;
        var summary = report["summary"] is JsonObject values
            ? string.Join(", ", values.Select(kv => $"{kv.Key}={kv.Value}"))
            : "(no summary)";
        output.WriteLine($"    -> {Text(report, "status")} in {report["durationMs"]} ms: {summary}");
        return report;
    }

    /// <summary>
    /// The run record once final. The dev host's own timers may have taken the run first, which is fine; if it is
    /// not there yet (a message still locked by a scheduled drain), the fan-out and drain are run again.
    /// </summary>
    private async Task<JsonNode> FinalRunAsync(string scheduleId, LocalDate date, CancellationToken ct)
    {
        var path = $"{Firm}/runs/{scheduleId}/{IsoDate.Format(date)}";
        output.WriteLine($"    GET {path}");
        ApiResponse? last = null;
        for (var attempt = 0; attempt < 15; attempt++)
        {
            last = await _api.GetAsync(path, ct);
            if (last.Status == 200 && FinalRunStates.Contains(last.Node["state"]?.GetValue<string>()))
            {
                output.WriteLine($"    -> 200");
                return last.Node;
            }

            ApiClient.Expect(last, 200, 404);
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            if (attempt % 3 == 2)
            {
                await RunTimerAsync("FanOut", ct);
                await RunTimerAsync("RunDrain", ct);
            }
        }

        throw new WalkthroughException($"The run {path} did not reach a final state: {last}");
    }

    private async Task<List<SinkEmail>> FailureEmailsAsync(string scheduleName, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var listed = await _api.GetAsync("/dev/mail", ct);
            if (listed.Status == 404)
            {
                throw new WalkthroughException($"GET /dev/mail answered 404: {listed.Body}");
            }

            var items = ApiClient.Expect(listed, 200).Node["items"]!.AsArray()
                .Where(i => Text(i!, "subject").Contains(scheduleName, StringComparison.Ordinal)
                    && Text(i!, "to").Contains(options.Subscriber, StringComparison.OrdinalIgnoreCase))
                .ToList();
            if (items.Count > 0 || attempt >= 5)
            {
                var emails = new List<SinkEmail>();
                foreach (var item in items)
                {
                    var file = Text(item!, "file");
                    var message = ApiClient.Expect(await _api.GetAsync($"/dev/mail/{Uri.EscapeDataString(file)}?format=json", ct), 200).Node;
                    emails.Add(new SinkEmail(
                        file,
                        message["to"]!.AsArray().Select(t => t!.GetValue<string>()).ToList(),
                        Text(message, "subject"),
                        message["text"]?.GetValue<string>() ?? ""));
                }

                return emails;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            await RunTimerAsync("EmailOutbox", ct);
        }
    }

    private void ShowRun(JsonNode run, string currency)
    {
        Show("state", Text(run, "state"));
        if (run["amountMinor"] is { } amount)
        {
            Show("amount", Money(amount.GetValue<long>(), run["currency"]?.GetValue<string>() ?? currency));
        }

        if (run["chargeId"] is { } charge)
        {
            Show("chargeId", charge.GetValue<string>());
        }

        foreach (var line in run["lines"]?.AsArray() ?? [])
        {
            Show("line", $"{Text(line!, "invoiceNumber")}: {Money(line!["amountMinor"]!.GetValue<long>(), currency)} of {Money(line["availableMinor"]!.GetValue<long>(), currency)} available");
        }

        if (run["failureReason"] is { } reason)
        {
            Show("failureReason", reason.GetValue<string>());
        }
    }

    private void Step(string title)
    {
        output.WriteLine();
        output.WriteLine($"{++_step,2}. {title}");
    }

    private void Show(string label, string value) => output.WriteLine($"      {label}: {value}");

    private static string Text(JsonNode node, string name) =>
        node[name] is { } value ? value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()
            : throw new WalkthroughException($"The response has no '{name}': {node.ToJsonString()}");

    private static Instant ParseInstant(JsonNode? node) =>
        node is not null && InstantPattern.ExtendedIso.Parse(node.GetValue<string>()) is { Success: true } parsed
            ? parsed.Value
            : throw new WalkthroughException($"'{node}' is not an instant.");

    private static decimal Major(long minor) => minor / 100m;

    private static string Money(long minor, string currency) => string.Create(CultureInfo.InvariantCulture, $"{minor / 100m:0.00} {currency}");

    private sealed record Invoice(string Number, string ClientNumber, string MatterNumber, LocalDate Date, long TotalMinor, long OutstandingMinor);
}
