using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PayConnect.Adapters.Tests.Email;

/// <summary>
/// A local stand-in for the ACS Email REST API. It checks what the real service checks and what our contract says
/// (HMAC signature recomputed from the raw request with its own key, content hash, api-version, body shape,
/// Operation-Id) and answers from a script: 202 + Operation-Location, then the scripted operation statuses.
/// </summary>
internal sealed class FakeAcsServer : IAsyncDisposable
{
    public const string ApiVersion = "2023-03-31";

    private readonly WebApplication app;
    private readonly byte[] key;
    private readonly object gate = new();
    private readonly Queue<Scripted> sendScript = new();
    private readonly Queue<Scripted> pollScript = new();
    private readonly Dictionary<string, int> pollsByOperation = new(StringComparer.OrdinalIgnoreCase);

    private FakeAcsServer(WebApplication app, byte[] key)
    {
        this.app = app;
        this.key = key;
    }

    /// <summary>A well-formed access key for tests (base64 of 32 bytes).</summary>
    public static string TestAccessKey { get; } = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request, in order.</summary>
    public List<RecordedRequest> Requests { get; } = [];

    /// <summary>Every broken rule seen (bad signature, wrong body shape, ...); empty when the client behaved.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Statuses the operation goes through, one per poll; the last one repeats.</summary>
    public string[] OperationStatuses { get; set; } = ["Running", "Succeeded"];

    /// <summary>The error reported with a Failed status.</summary>
    public (string Code, string Message) FailedError { get; set; } = ("EmailDropped", "Email was dropped after several attempts to deliver.");

    /// <summary>The retry-after (seconds) the server sends with 202 and with non-terminal statuses.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    public static async Task<FakeAcsServer> StartAsync(string? accessKey = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeAcsServer(app, Convert.FromBase64String(accessKey ?? TestAccessKey));
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.Endpoint = new Uri(address);
        return server;
    }

    /// <summary>The next emails:send answers this instead of 202.</summary>
    public void EnqueueSendAnswer(int status, string? body = null, params (string Name, string Value)[] headers)
    {
        lock (gate)
        {
            sendScript.Enqueue(new Scripted(status, body, headers));
        }
    }

    /// <summary>The next operation poll answers this instead of the scripted status.</summary>
    public void EnqueuePollAnswer(int status, string? body = null, params (string Name, string Value)[] headers)
    {
        lock (gate)
        {
            pollScript.Enqueue(new Scripted(status, body, headers));
        }
    }

    public List<RecordedRequest> Sends() => Requests.Where(r => r.Method == "POST").ToList();

    public List<RecordedRequest> Polls() => Requests.Where(r => r.Method == "GET").ToList();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var recorded = new RecordedRequest(
            request.Method,
            rawTarget,
            request.Headers["Operation-Id"].ToString(),
            request.Headers["x-ms-client-request-id"].ToString(),
            Encoding.UTF8.GetString(body));

        Scripted? answer;
        lock (gate)
        {
            Requests.Add(recorded);
            var authProblem = CheckSignature(context, rawTarget, body);
            if (authProblem is not null)
            {
                Violations.Add(authProblem);
                answer = new Scripted(401, Error("Denied", authProblem), []);
            }
            else if (request.Query["api-version"] != ApiVersion)
            {
                Violations.Add($"api-version was '{request.Query["api-version"]}'");
                answer = new Scripted(400, Error("InvalidApiVersion", "Unsupported api-version."), []);
            }
            else if (request.Method == "POST" && request.Path == "/emails:send")
            {
                answer = Send(recorded, body);
            }
            else if (request.Method == "GET" && request.Path.StartsWithSegments("/emails/operations", out var rest))
            {
                answer = Poll(rest.Value!.Trim('/'));
            }
            else
            {
                Violations.Add($"unexpected {request.Method} {rawTarget}");
                answer = new Scripted(404, Error("NotFound", "No such route."), []);
            }
        }

        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            context.Response.Headers[name] = value;
        }

        if (answer.Body is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.Body);
        }
    }

    private Scripted Send(RecordedRequest recorded, byte[] body)
    {
        if (!Guid.TryParse(recorded.OperationId, out _))
        {
            Violations.Add($"Operation-Id '{recorded.OperationId}' is not a UUID");
        }

        if (!Guid.TryParse(recorded.ClientRequestId, out _))
        {
            Violations.Add($"x-ms-client-request-id '{recorded.ClientRequestId}' is not a UUID");
        }

        CheckBodyShape(body);
        if (sendScript.TryDequeue(out var scripted))
        {
            return scripted;
        }

        var id = recorded.OperationId;
        pollsByOperation.TryAdd(id, 0);
        return new Scripted(
            202,
            JsonSerializer.Serialize(new { id, status = "Running" }),
            [("Operation-Location", $"{Endpoint.GetLeftPart(UriPartial.Authority)}/emails/operations/{id}?api-version={ApiVersion}"), ("retry-after", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    private Scripted Poll(string operationId)
    {
        if (pollScript.TryDequeue(out var scripted))
        {
            return scripted;
        }

        if (!pollsByOperation.TryGetValue(operationId, out var count))
        {
            return new Scripted(404, Error("NotFound", "Unknown operation."), []);
        }

        pollsByOperation[operationId] = count + 1;
        var status = OperationStatuses[Math.Min(count, OperationStatuses.Length - 1)];
        var terminal = status is "Succeeded" or "Failed" or "Canceled";
        object payload = status == "Failed"
            ? new { id = operationId, status, error = new { code = FailedError.Code, message = FailedError.Message } }
            : new { id = operationId, status };
        return new Scripted(
            200,
            JsonSerializer.Serialize(payload),
            terminal ? [] : [("retry-after", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    /// <summary>Recomputes the HMAC the way the service does, from the raw request and this server's own key.</summary>
    private string? CheckSignature(HttpContext context, string rawTarget, byte[] body)
    {
        var headers = context.Request.Headers;
        var date = headers["x-ms-date"].ToString();
        var sentHash = headers["x-ms-content-sha256"].ToString();
        var authorization = headers.Authorization.ToString();
        if (date.Length == 0 || sentHash.Length == 0 || authorization.Length == 0)
        {
            return "missing x-ms-date, x-ms-content-sha256 or Authorization";
        }

        if (!DateTimeOffset.TryParseExact(date, "r", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
        {
            return $"x-ms-date '{date}' is not RFC 1123";
        }

        var actualHash = Convert.ToBase64String(SHA256.HashData(body));
        if (sentHash != actualHash)
        {
            return "x-ms-content-sha256 does not match the body";
        }

        const string prefix = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=";
        if (!authorization.StartsWith(prefix, StringComparison.Ordinal))
        {
            return $"Authorization has the wrong shape: '{authorization.Split("Signature=")[0]}'";
        }

        var stringToSign = $"{context.Request.Method}\n{rawTarget}\n{date};{context.Request.Host.Value};{actualHash}";
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign));
        byte[] sent;
        try
        {
            sent = Convert.FromBase64String(authorization[prefix.Length..]);
        }
        catch (FormatException)
        {
            return "signature is not base64";
        }

        return CryptographicOperations.FixedTimeEquals(expected, sent) ? null : "signature does not verify";
    }

    private void CheckBodyShape(byte[] body)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            Violations.Add("body is not JSON: " + e.Message);
            return;
        }

        void Require(bool ok, string what)
        {
            if (!ok)
            {
                Violations.Add("body: " + what);
            }
        }

        Require(json?["senderAddress"]?.GetValueKind() == JsonValueKind.String, "senderAddress missing");
        var to = json?["recipients"]?["to"] as JsonArray;
        Require(to is { Count: > 0 }, "recipients.to missing or empty");
        foreach (var recipient in to ?? [])
        {
            Require(recipient?["address"]?.GetValueKind() == JsonValueKind.String, "recipient without address");
            var displayName = recipient?["displayName"];
            Require(displayName is null || displayName.GetValueKind() == JsonValueKind.String, "displayName not a string");
        }

        Require(json?["content"]?["subject"]?.GetValueKind() == JsonValueKind.String, "content.subject missing");
        Require(json?["content"]?["plainText"] is not null || json?["content"]?["html"] is not null, "content has neither plainText nor html");
        Require(json?["userEngagementTrackingDisabled"]?.GetValueKind() == JsonValueKind.True, "userEngagementTrackingDisabled is not true");
    }

    private static string Error(string code, string message) => JsonSerializer.Serialize(new { error = new { code, message } });

    private sealed record Scripted(int Status, string? Body, (string Name, string Value)[] Headers);
}

internal sealed record RecordedRequest(string Method, string Target, string OperationId, string ClientRequestId, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}
