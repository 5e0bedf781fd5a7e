using System.Globalization;
using System.Text.Json;
using MimeKit;
using NodaTime;
using NodaTime.Text;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email;

namespace PayConnect.DevHost.Development;

/// <summary>
/// Development-only endpoints the dev host maps itself (they are not functions, so they never reach
/// functions.metadata or Azure): the adjustable clock, timers on request, and the local mail sink.
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
    }

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
