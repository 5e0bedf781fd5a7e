using System.Globalization;
using System.Text.Json;
using MimeKit;
using NodaTime;
using NodaTime.Text;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email;
using PayConnect.Infrastructure.Payments;
using PayConnect.Infrastructure.Payments.Sandbox;

namespace PayConnect.DevHost.Development;

/// <summary>
/// Development-only endpoints the dev host maps itself (they are not functions, so they never reach
/// functions.metadata or Azure): the adjustable clock, timers on request, the local mail sink, and what happens at the
/// sandbox gateway after a charge (a refund started in its dashboard, a dispute, an ACH settlement or return), each
/// delivered as the signed event Stripe would send, through the real <c>/api/gateway/sandbox/events</c> endpoint.
/// </summary>
public static class DevEndpoints
{
    public const string Prefix = "/dev";

    private const string SinkIndexFileName = "index.txt";

    public static void MapDevEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var dev = endpoints.MapGroup(Prefix);
        dev.MapGet("/clock", (DevClock clock) => Results.Json(ClockView(clock)));
        dev.MapPost("/clock/advance", AdvanceAsync);
        dev.MapGet("/timers", (TimerRunner timers) => Results.Json(new { items = timers.Names }));
        dev.MapPost("/timers/{functionName}/run", RunTimerAsync);
        dev.MapGet("/mail", (IOptions<EmailOptions> email, CancellationToken ct) => ListMailAsync(email.Value, ct));
        dev.MapGet("/mail/{file}", (string file, string? format, IOptions<EmailOptions> email, CancellationToken ct) => ReadMailAsync(email.Value, file, format, ct));

        var gateway = dev.MapGroup("/gateway");
        gateway.MapGet("/events", (SandboxPaymentGateway sandbox, IOptions<GatewayOptions> options) =>
            NotSandbox(options.Value) ?? Results.Json(new { items = sandbox.Events.Select(e => new { id = e.Id, type = e.Type }) }));
        gateway.MapPost("/events/{eventId}/deliver", async (string eventId, HttpRequest request, SandboxPaymentGateway sandbox, IOptions<GatewayOptions> options, CancellationToken ct) =>
            NotSandbox(options.Value) ?? (sandbox.Events.FirstOrDefault(e => e.Id == eventId) is { } known
                ? await DeliverAsync(request, known, ct)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such event", detail: $"The sandbox produced no event {eventId}.")));
        gateway.MapPost("/charges/{chargeId}/refund", (string chargeId, HttpRequest request, SandboxPaymentGateway sandbox, IOptions<GatewayOptions> options, CancellationToken ct) =>
            ProduceAsync(request, options.Value, body => sandbox.RefundInDashboard(chargeId, Long(body, "amountMinor")), ct));
        gateway.MapPost("/charges/{chargeId}/dispute", (string chargeId, HttpRequest request, SandboxPaymentGateway sandbox, IOptions<GatewayOptions> options, CancellationToken ct) =>
            ProduceAsync(request, options.Value, body => Text(body, "status") switch
            {
                "won" => sandbox.CloseDispute(chargeId, won: true),
                "lost" => sandbox.CloseDispute(chargeId, won: false),
                "opened" => sandbox.OpenDispute(chargeId, Long(body, "amountMinor"), Text(body, "reason") ?? "fraudulent"),
                _ => throw new ArgumentException("""Send { "status": "opened" | "won" | "lost" } (and optionally "amountMinor", "reason" when opening)."""),
            }, ct));
        gateway.MapPost("/charges/{chargeId}/ach-settled", (string chargeId, HttpRequest request, SandboxPaymentGateway sandbox, IOptions<GatewayOptions> options, CancellationToken ct) =>
            ProduceAsync(request, options.Value, _ => sandbox.SettleAch(chargeId), ct));
        gateway.MapPost("/charges/{chargeId}/ach-return", (string chargeId, HttpRequest request, SandboxPaymentGateway sandbox, IOptions<GatewayOptions> options, CancellationToken ct) =>
            ProduceAsync(request, options.Value, body => Text(body, "code") is { } code && PayConnect.Payments.AchReturnCodes.IsReturnCode(code.Trim().ToUpperInvariant())
                ? sandbox.ReturnAch(chargeId, code)
                : throw new ArgumentException("""Send { "code": "R01" } (a NACHA return code, R01 to R85)."""), ct));
    }

    /// <summary>Lets the sandbox produce an event (reading an optional JSON body), then delivers it to the app's event endpoint.</summary>
    private static async Task<IResult> ProduceAsync(HttpRequest request, GatewayOptions options, Func<JsonElement, SandboxEvent> produce, CancellationToken ct)
    {
        if (NotSandbox(options) is { } refused)
        {
            return refused;
        }

        JsonElement body = default;
        if (request.ContentLength is > 0)
        {
            try
            {
                body = await request.ReadFromJsonAsync<JsonElement>(ct);
            }
            catch (JsonException)
            {
                return Invalid("body", "Send a JSON object (or no body).");
            }
        }

        SandboxEvent produced;
        try
        {
            produced = produce(body);
        }
        catch (KeyNotFoundException ex)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such charge", detail: ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or PayConnect.Payments.RefundRefusedException)
        {
            return Invalid("body", ex.Message);
        }

        return await DeliverAsync(request, produced, ct);
    }

    /// <summary>POSTs a sandbox event, signed, to this host's own gateway-events endpoint, and answers with what it said.</summary>
    private static async Task<IResult> DeliverAsync(HttpRequest request, SandboxEvent produced, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"{request.Scheme}://{request.Host}") };
        using var content = new StringContent(produced.Payload, System.Text.Encoding.UTF8, "application/json");
        content.Headers.TryAddWithoutValidation("Stripe-Signature", produced.Signature);
        using var response = await client.PostAsync("/api/gateway/sandbox/events", content, ct);
        var answer = await response.Content.ReadAsStringAsync(ct);
        return Results.Json(new
        {
            eventId = produced.Id,
            type = produced.Type,
            deliveredStatus = (int)response.StatusCode,
            delivered = JsonDocument.Parse(answer.Length == 0 ? "null" : answer).RootElement,
        });
    }

    private static IResult? NotSandbox(GatewayOptions options) => options.EffectiveKind == GatewayKind.Sandbox
        ? null
        : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not the sandbox gateway", detail: "These endpoints drive the sandbox gateway only (Gateway__Kind=Sandbox).");

    private static long? Long(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static object ClockView(DevClock clock)
    {
        var now = clock.GetCurrentInstant();
        var offset = clock.Offset;
        return new
        {
            now = InstantPattern.ExtendedIso.Format(now),
            systemNow = InstantPattern.ExtendedIso.Format(SystemClock.Instance.GetCurrentInstant()),
            offsetSeconds = (long)offset.TotalSeconds,
            offset = offset.ToString("-D'.'hh:mm:ss", CultureInfo.InvariantCulture),
        };
    }

    private static async Task<IResult> AdvanceAsync(HttpRequest request, DevClock clock, ILoggerFactory loggers, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            body = await request.ReadFromJsonAsync<JsonElement>(ct);
        }
        catch (JsonException)
        {
            return Invalid("body", """Send JSON: { "to": "2026-03-05T15:00:00Z" } or { "days": 3 }.""");
        }

        var hasTo = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("to", out var to) && to.ValueKind != JsonValueKind.Null;
        var hasDays = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("days", out var days) && days.ValueKind != JsonValueKind.Null;
        if (hasTo == hasDays)
        {
            return Invalid("body", """Send exactly one of "to" (an instant, e.g. 2026-03-05T15:00:00Z) and "days" (a number of days).""");
        }

        var before = clock.GetCurrentInstant();
        if (hasTo)
        {
            var text = body.GetProperty("to").ValueKind == JsonValueKind.String ? body.GetProperty("to").GetString() : null;
            var parsed = text is null ? null : InstantPattern.ExtendedIso.Parse(text);
            if (parsed is null || !parsed.Success)
            {
                return Invalid("to", "Must be an instant in UTC, e.g. 2026-03-05T15:00:00Z.");
            }

            if (parsed.Value < before)
            {
                return Invalid("to", $"Is before the dev clock's now ({InstantPattern.ExtendedIso.Format(before)}); the clock never goes back.");
            }

            clock.AdvanceTo(parsed.Value);
        }
        else
        {
            var element = body.GetProperty("days");
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var count) || count < 0 || count > 3660)
            {
                return Invalid("days", "Must be a number of days from 0 to 3660; the clock never goes back.");
            }

            clock.AdvanceBy(Duration.FromSeconds(Math.Round(count * 86400)));
        }

        loggers.CreateLogger(typeof(DevEndpoints)).LogInformation(
            "Dev clock advanced from {Before} to {After}", before, clock.GetCurrentInstant());
        return Results.Json(ClockView(clock));
    }

    private static async Task<IResult> RunTimerAsync(string functionName, TimerRunner timers, CancellationToken ct)
    {
        if (!timers.TryGet(functionName, out var invoker))
        {
            return Results.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "No such timer function",
                detail: $"'{functionName}' is not a timer function here; try one of: {string.Join(", ", timers.Names)}.");
        }

        if (invoker.Function.IsDisabled)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Timer function disabled",
                detail: $"'{invoker.Function.Name}' is disabled (AzureWebJobs.{invoker.Function.Name}.Disabled).");
        }

        var report = await timers.RunAsync(invoker, ct);
        return Results.Json(report, statusCode: report.Status == "Succeeded" ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError);
    }

    private static async Task<IResult> ListMailAsync(EmailOptions email, CancellationToken ct)
    {
        if (SinkFolder(email) is not { } folder)
        {
            return NoSink(email);
        }

        var index = Path.Combine(folder, SinkIndexFileName);
        var lines = File.Exists(index) ? await File.ReadAllLinesAsync(index, ct) : [];
        var items = lines
            .Select(l => l.Split(" | ", 4))
            .Where(p => p.Length == 4)
            .Select(p => new
            {
                sentAt = p[0],
                file = p[1],
                to = Field(p[2], "To: "),
                subject = Field(p[3], "Subject: "),
                url = $"{Prefix}/mail/{Uri.EscapeDataString(p[1])}",
            })
            .ToList();
        return Results.Json(new { folder, items });

        static string Field(string part, string label) => part.StartsWith(label, StringComparison.Ordinal) ? part[label.Length..] : part;
    }

    private static async Task<IResult> ReadMailAsync(EmailOptions email, string file, string? format, CancellationToken ct)
    {
        if (SinkFolder(email) is not { } folder)
        {
            return NoSink(email);
        }

        // Only a file name the sink wrote, never a path.
        if (file.IndexOfAny(['/', '\\']) >= 0 || file.Contains("..", StringComparison.Ordinal) || !file.EndsWith(".eml", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid("file", "Must be the name of an .eml file listed by GET /dev/mail.");
        }

        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such message", detail: $"{file} is not in {folder}.");
        }

        if (!string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            return Results.Text(await File.ReadAllTextAsync(path, ct), "message/rfc822; charset=utf-8");
        }

        var message = await MimeMessage.LoadAsync(path, ct);
        return Results.Json(new
        {
            file,
            messageId = message.MessageId,
            date = message.Date.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            from = message.From.Mailboxes.Select(m => m.Address).ToList(),
            to = message.To.Mailboxes.Select(m => m.Address).ToList(),
            subject = message.Subject,
            text = message.TextBody,
        });
    }

    private static string? SinkFolder(EmailOptions email) =>
        email.Transport is not null and not EmailTransport.Sink
            ? null
            : Path.GetFullPath(string.IsNullOrWhiteSpace(email.SinkDirectory) ? ".local/mail" : email.SinkDirectory);

    private static IResult NoSink(EmailOptions email) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "No local mail sink",
        detail: $"Mail is sent with the {email.Transport} transport ({AppSettings.EmailTransport}), not written to the sink.");

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
