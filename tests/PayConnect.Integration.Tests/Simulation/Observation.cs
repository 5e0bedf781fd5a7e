using System.Globalization;
using System.Text.Json.Nodes;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Integration.Tests.Simulation.Model;

namespace PayConnect.Integration.Tests.Simulation;

public sealed record ObservedLine(string Invoice, long Amount, long Available);

/// <summary>A run as <c>GET /runs/{schedule}/{date}</c> shows it.</summary>
public sealed record ObservedRun(
    string ScheduleId,
    DateOnly Date,
    string State,
    int Attempt,
    IReadOnlyList<ObservedLine> Lines,
    long? Amount,
    string? ChargeId,
    string? FailureCode,
    string? SkippedBy,
    DateOnly? RetryOn,
    DateTimeOffset? ParkedUntil,
    string Json) : IObservedRun
{
    public IReadOnlyList<(string Invoice, long Amount)> LineAmounts => Lines.Select(l => (l.Invoice, l.Amount)).ToList();

    public override string ToString() =>
        $"{ModelCalendar.Iso(Date)} {State} attempt {Attempt} [{string.Join(", ", Lines.Select(l => $"{l.Invoice}={l.Amount}"))}]"
        + (FailureCode is null ? string.Empty : $" code {FailureCode}") + (RetryOn is { } r ? $" retry {ModelCalendar.Iso(r)}" : string.Empty)
        + (ParkedUntil is { } p ? $" parked until {p:u}" : string.Empty);
}

public sealed record ObservedSchedule(string Id, string State, string? EndReason, DateOnly? NextRunDate, IReadOnlyDictionary<DateOnly, ObservedRun> Runs);

public sealed record ObservedPosting(string Id, string ScheduleId, DateOnly RunDate, string RunKey, string Invoice, long Amount, string State, string? Reference, string ChargeId)
{
    public string Key => $"{ScheduleId}/{ModelCalendar.Iso(RunDate)}/{Invoice}";
}

public enum EmailKind
{
    ErrorFailedAutoPay,
    AwaitingApproval,
    Other,
}

public sealed record ObservedEmail(string File, EmailKind Kind, string ScheduleId, DateOnly RunDate, string To, int AttemptLines);

/// <summary>Everything the product shows after a step: per firm, its schedules, runs and postings; the charges; the mail.</summary>
public sealed class ProductView
{
    public Dictionary<string, ObservedSchedule> Schedules { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<ObservedPosting>> PostingsByFirm { get; } = new(StringComparer.Ordinal);

    public List<SandboxCharge> Charges { get; init; } = [];

    public List<ObservedEmail> Emails { get; init; } = [];

    public long DeadLettered { get; init; }

    public ObservedRun? Run(string scheduleId, DateOnly date) =>
        Schedules.TryGetValue(scheduleId, out var schedule) && schedule.Runs.TryGetValue(date, out var run) ? run : null;
}

/// <summary>Reads the product's state the way staff and the tests can see it: the HTTP API, the sandbox, the mail sink.</summary>
public sealed class Observer(TestHost host, Emulators emulators, Func<string, Client> staffOf)
{
    private readonly Dictionary<string, ObservedEmail> _parsedMail = new(StringComparer.Ordinal);

    public async Task<ProductView> ReadAsync(WorldModel world, string queue)
    {
        var counts = emulators.Broker.GetMessageCounts(queue);
        var view = new ProductView
        {
            Charges = host.Get<SandboxPaymentGateway>().Charges.ToList(),
            Emails = ReadMail(),
            DeadLettered = counts.DeadLetterMessageCount,
        };

        foreach (var firm in world.Firms)
        {
            var client = staffOf(firm.Id);
            foreach (var schedule in firm.Schedules.Values)
            {
                var json = await OkAsync(client.Get($"/api/firms/{firm.Id}/schedules/{schedule.Id}"));
                var runs = new Dictionary<DateOnly, ObservedRun>();
                foreach (var item in await PagesAsync(client, $"/api/firms/{firm.Id}/runs?scheduleId={schedule.Id}"))
                {
                    var run = ReadRun(item);
                    runs[run.Date] = run;
                }

                view.Schedules[schedule.Id] = new ObservedSchedule(
                    schedule.Id,
                    json["state"]!.GetValue<string>(),
                    json["endReason"]?.GetValue<string>(),
                    Date(json["nextRunDate"]),
                    runs);
            }

            view.PostingsByFirm[firm.Id] = (await PagesAsync(client, $"/api/firms/{firm.Id}/postings")).Select(ReadPosting).ToList();
        }

        return view;
    }

    /// <summary>All items of a paged list, following its continuation.</summary>
    public static async Task<List<JsonNode>> PagesAsync(Client client, string path)
    {
        var items = new List<JsonNode>();
        string? continuation = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            var url = $"{path}{separator}pageSize=200" + (continuation is null ? string.Empty : "&continuation=" + Uri.EscapeDataString(continuation));
            var page = await OkAsync(client.Get(url));
            items.AddRange(page["items"]!.AsArray().Select(i => i!));
            continuation = page["continuation"]?.GetValue<string>();
        }
        while (continuation is not null);

        return items;
    }

    public static ObservedRun ReadRun(JsonNode run) => new(
        run["scheduleId"]!.GetValue<string>(),
        Date(run["runDate"])!.Value,
        run["state"]!.GetValue<string>(),
        run["attempt"]!.GetValue<int>(),
        run["lines"]!.AsArray().Select(l => new ObservedLine(l!["invoiceNumber"]!.GetValue<string>(), l["amountMinor"]!.GetValue<long>(), l["availableMinor"]!.GetValue<long>())).ToList(),
        run["amountMinor"]?.GetValue<long>(),
        run["chargeId"]?.GetValue<string>(),
        run["failureCode"]?.GetValue<string>(),
        run["skippedBy"]?.GetValue<string>(),
        Date(run["retryOn"]),
        run["parkedUntil"] is { } parked ? DateTimeOffset.Parse(parked.GetValue<string>(), CultureInfo.InvariantCulture) : null,
        run.ToJsonString());

    private static ObservedPosting ReadPosting(JsonNode p) => new(
        p["id"]!.GetValue<string>(),
        p["scheduleId"]!.GetValue<string>(),
        Date(p["runDate"])!.Value,
        p["runKey"]!.GetValue<string>(),
        p["invoiceNumber"]!.GetValue<string>(),
        p["amountMinor"]!.GetValue<long>(),
        p["state"]!.GetValue<string>(),
        p["reference"]?.GetValue<string>(),
        p["chargeId"]!.GetValue<string>());

    /// <summary>Each email in the sink once (a resend of one message id replaces its file), with the run its link names.</summary>
    private List<ObservedEmail> ReadMail()
    {
        var sink = host.Settings[AppSettings.EmailSinkDirectory]!;
        if (!Directory.Exists(sink))
        {
            return [];
        }

        var emails = new List<ObservedEmail>();
        foreach (var file in Directory.GetFiles(sink, "*.eml").Order(StringComparer.Ordinal))
        {
            var stamp = file + "@" + File.GetLastWriteTimeUtc(file).Ticks.ToString(CultureInfo.InvariantCulture);
            if (!_parsedMail.TryGetValue(stamp, out var email))
            {
                var message = MimeKit.MimeMessage.Load(file);
                var text = message.TextBody ?? string.Empty;
                var subject = message.Subject ?? string.Empty;
                var kind = subject.StartsWith("Error-Failed AutoPay", StringComparison.Ordinal) ? EmailKind.ErrorFailedAutoPay
                    : subject.StartsWith("AutoPay awaiting approval", StringComparison.Ordinal) ? EmailKind.AwaitingApproval
                    : EmailKind.Other;
                var link = System.Text.RegularExpressions.Regex.Match(text, @"/autopay/schedules/([^/\s]+)/runs/(\d{4}-\d{2}-\d{2})");
                email = new ObservedEmail(
                    Path.GetFileName(file),
                    kind,
                    link.Success ? Uri.UnescapeDataString(link.Groups[1].Value) : string.Empty,
                    link.Success ? DateOnly.ParseExact(link.Groups[2].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture) : default,
                    string.Join(", ", message.To.Mailboxes.Select(m => m.Address.ToLowerInvariant()).Order(StringComparer.Ordinal)),
                    text.Split('\n').Count(l => l.StartsWith("Attempt ", StringComparison.Ordinal)));
                _parsedMail[stamp] = email;
            }

            emails.Add(email);
        }

        return emails;
    }

    private static DateOnly? Date(JsonNode? node) =>
        node is null ? null : DateOnly.ParseExact(node.GetValue<string>(), "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<JsonNode> OkAsync(Task<HttpResponseData> call)
    {
        var response = await call;
        if (response.Status != 200)
        {
            throw new SimulationFailure($"The API answered {response}.");
        }

        return response.Json!;
    }
}

/// <summary>The simulation found the product doing something the model or an invariant does not allow.</summary>
public sealed class SimulationFailure(string message) : Exception(message);
