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
/// A local stand-in for the ACS Email REST API (api-version 2023-03-31), built from the service's documentation and
/// SDK source rather than from our own reading:
/// <list type="bullet">
/// <item>Authorization: either the HMAC-SHA256 signature recomputed from the raw request with the fake's own key
/// (FACTS.md, ACS REST), or, when started with a bearer token, an Entra token — the Communication SDKs request the
/// scope <c>https://communication.azure.com//.default</c> (azure-sdk-for-net, Communication pipeline builders), and a
/// resource with <c>disableLocalAuth</c> refuses HMAC (learn.microsoft.com, CommunicationServiceResourceData
/// .IsLocalAuthDisabled: "Disable local authentication"), which this fake answers with 401.</item>
/// <item><c>POST /emails:send</c> answers 202 with <c>Operation-Location</c> and <c>retry-after</c>; the body is
/// checked for the documented shape and the <c>Operation-Id</c> header for a UUID (azure-rest-api-specs,
/// CommunicationServicesEmail 2023-03-31; Azure.Communication.Email <c>EmailClient.StartSendAsync(message, operationId)</c>).
/// A POST whose Operation-Id names an existing operation does not start another: it answers with the existing
/// operation, finished or not (Azure's long-running-operation guidance as the issue reads it; not confirmed in the
/// REST spec, and the client must not depend on it — it reads before it posts).</item>
/// <item><c>GET /emails/operations/{id}</c> answers the operation's status (<c>NotStarted | Running | Succeeded |
/// Failed | Canceled</c>) with <c>retry-after</c> while it runs, and 404 for an id it does not know (assumed: the
/// spec's error response; the client reads 404 as "does not exist").</item>
/// <item><c>retry-after</c> is the least the client must wait: Azure.Core's operation poller waits "the larger of"
/// its own interval and the server's (azure-sdk-for-net, EmailSendOperation.WaitForCompletionAsync docs).</item>
/// </list>
/// Broken rules are collected in <see cref="Violations"/>.
/// </summary>
internal sealed class FakeAcsServer : IAsyncDisposable
{
    public const string ApiVersion = "2023-03-31";

    private readonly WebApplication app;
    private readonly byte[] key;
    private readonly object gate = new();
    private readonly Queue<Scripted> sendScript = new();
    private readonly Queue<Scripted> pollScript = new();
    private readonly Queue<OperationScript> operationScripts = new();
    private readonly Dictionary<string, Operation> operations = new(StringComparer.OrdinalIgnoreCase);
    private readonly string? bearerToken;

    private FakeAcsServer(WebApplication app, byte[] key, string? bearerToken)
    {
        this.app = app;
        this.key = key;
        this.bearerToken = bearerToken;
    }

    /// <summary>A well-formed access key for tests (base64 of 32 bytes).</summary>
    public static string TestAccessKey { get; } = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request, in order.</summary>
    public List<RecordedRequest> Requests { get; } = [];

    /// <summary>Every broken rule seen (bad signature, wrong body shape, ...); empty when the client behaved.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Statuses a new operation goes through, one per status query; the last one repeats. See <see cref="EnqueueOperation"/>.</summary>
    public string[] OperationStatuses { get; set; } = ["Running", "Succeeded"];

    /// <summary>Appended to every Operation-Location, so that a test can see the client polled the URL it was given.</summary>
    public string OperationLocationMarker { get; set; } = "&location-token=fake";

    /// <summary>The error reported with a Failed status.</summary>
    public (string Code, string Message) FailedError { get; set; } = ("EmailDropped", "Email was dropped after several attempts to deliver.");

    /// <summary>The retry-after (seconds) the server sends with 202 and with non-terminal statuses.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <param name="accessKey">The key HMAC signatures are checked with.</param>
    /// <param name="bearerToken">When set, the resource has local auth disabled: only this bearer token is accepted.</param>
    public static async Task<FakeAcsServer> StartAsync(string? accessKey = null, string? bearerToken = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeAcsServer(app, Convert.FromBase64String(accessKey ?? TestAccessKey), bearerToken);
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

    /// <summary>The next operation posted goes through these statuses (with this error when it fails) instead of <see cref="OperationStatuses"/>.</summary>
    public void EnqueueOperation(string[] statuses, (string Code, string Message)? error = null)
    {
        lock (gate)
        {
            operationScripts.Enqueue(new OperationScript(statuses, error));
        }
    }

    /// <summary>The next operation status query answers this instead of the operation's status.</summary>
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
            Encoding.UTF8.GetString(body),
            request.Headers.Authorization.ToString());

        Scripted? answer;
        lock (gate)
        {
            Requests.Add(recorded);
            var authProblem = bearerToken is null ? CheckSignature(context, rawTarget, body) : CheckBearer(context);
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
        if (operations.TryGetValue(id, out var existing))
        {
            // Not a new operation: the existing one is returned as it stands.
            if (existing.IsFinished)
            {
                Violations.Add($"Operation-Id {id} of a finished ({existing.Current}) operation presented again");
            }

            return new Scripted(202, JsonSerializer.Serialize(new { id, status = existing.Current }), Accepted(id));
        }

        var script = operationScripts.TryDequeue(out var next) ? next : new OperationScript(OperationStatuses, null);
        operations[id] = new Operation(script);
        return new Scripted(202, JsonSerializer.Serialize(new { id, status = "Running" }), Accepted(id));
    }

    private (string Name, string Value)[] Accepted(string id) =>
    [
        ("Operation-Location", $"{Endpoint.GetLeftPart(UriPartial.Authority)}/emails/operations/{id}?api-version={ApiVersion}{OperationLocationMarker}"),
        ("retry-after", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    private Scripted Poll(string operationId)
    {
        if (pollScript.TryDequeue(out var scripted))
        {
            return scripted;
        }

        if (!operations.TryGetValue(operationId, out var operation))
        {
            return new Scripted(404, Error("NotFound", "Unknown operation."), []);
        }

        var status = operation.Advance();
        var terminal = status is "Succeeded" or "Failed" or "Canceled";
        var (code, message) = operation.Script.Error ?? FailedError;
        object payload = status == "Failed"
            ? new { id = operationId, status, error = new { code, message } }
            : new { id = operationId, status };
        return new Scripted(
            200,
            JsonSerializer.Serialize(payload),
            terminal ? [] : [("retry-after", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    /// <summary>With local auth disabled only the Entra bearer token is accepted; an HMAC signature is refused.</summary>
    private string? CheckBearer(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("HMAC-SHA256", StringComparison.Ordinal))
        {
            return "HMAC signature sent to a resource with local auth disabled";
        }

        return authorization == "Bearer " + bearerToken ? null : $"Authorization is not the expected bearer token: '{authorization.Split(' ')[0]}'";
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

    private sealed record OperationScript(string[] Statuses, (string Code, string Message)? Error);

    private sealed class Operation(OperationScript script)
    {
        private int queries;

        public OperationScript Script { get; } = script;

        public string Current => Script.Statuses[Math.Max(0, Math.Min(queries - 1, Script.Statuses.Length - 1))] is var s && queries > 0 ? s : "Running";

        public bool IsFinished => Current is "Succeeded" or "Failed" or "Canceled";

        public string Advance() => Script.Statuses[Math.Min(queries++, Script.Statuses.Length - 1)];
    }
}

internal sealed record RecordedRequest(string Method, string Target, string OperationId, string ClientRequestId, string Body, string Authorization)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}
