using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PayConnect.Adapters.Tests.Payments;

/// <summary>What the fake Stripe received.</summary>
internal sealed record RecordedRequest(
    string Path,
    string? Authorization,
    string? IdempotencyKey,
    string? ContentType,
    IReadOnlyDictionary<string, string> Form);

/// <summary>What the fake Stripe answers: an HTTP status and a JSON body, optionally after a delay.</summary>
internal sealed record StripeReply(int Status, string Json, TimeSpan Delay = default);

/// <summary>
/// A loopback Kestrel server implementing just <c>POST /v1/payment_intents</c>; it records every request and
/// answers with the reply the test scripted.
/// </summary>
internal sealed class FakeStripeServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly ConcurrentQueue<Func<RecordedRequest, StripeReply>> scripted = new();
    private readonly ConcurrentDictionary<string, string> intentsByIdempotencyKey = new(StringComparer.Ordinal);

    private FakeStripeServer(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public IReadOnlyList<RecordedRequest> Requests => requests.ToArray();

    /// <summary>The reply when nothing is scripted.</summary>
    public Func<RecordedRequest, StripeReply> Default { get; set; } = r => new StripeReply(200, StripeJson.Intent(r, "succeeded"));

    public static async Task<FakeStripeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeStripeServer(app);
        app.MapPost("/v1/payment_intents", server.HandleAsync);
        app.MapGet("/v1/payment_intents/search", server.SearchAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    /// <summary>Answers the next request with <paramref name="reply"/>, then falls back to later scripts or <see cref="Default"/>.</summary>
    public void ThenReply(Func<RecordedRequest, StripeReply> reply) => scripted.Enqueue(reply);

    public void ThenReply(StripeReply reply) => scripted.Enqueue(_ => reply);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>The search API, for the one query the adapter makes: intents created under an idempotency key.</summary>
    private async Task SearchAsync(HttpContext context)
    {
        var query = context.Request.Query["query"].ToString();
        requests.Enqueue(new RecordedRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), string.Empty, null,
            new Dictionary<string, string>(StringComparer.Ordinal) { ["query"] = query }));
        var match = FakeStripeServerSearch.IdempotencyKeyQuery().Match(query);
        if (!match.Success)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(StripeJson.Error("invalid_request_error", "parameter_invalid", "Unsupported query."), context.RequestAborted);
            return;
        }

        var data = intentsByIdempotencyKey.TryGetValue(match.Groups["key"].Value, out var intent) ? intent : string.Empty;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(
            $$"""{"object":"search_result","url":"/v1/payment_intents/search","has_more":false,"data":[{{data}}]}""",
            context.RequestAborted);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var recorded = new RecordedRequest(
            context.Request.Path,
            context.Request.Headers.Authorization.ToString(),
            context.Request.Headers["Idempotency-Key"].ToString(),
            context.Request.ContentType,
            form.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal));
        requests.Enqueue(recorded);

        var reply = (scripted.TryDequeue(out var script) ? script : Default)(recorded);
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (reply.Status == 200 && recorded.Form.TryGetValue("metadata[idempotency_key]", out var key))
        {
            intentsByIdempotencyKey[key] = reply.Json;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = "req_" + Guid.NewGuid().ToString("N")[..14];
        await context.Response.WriteAsync(reply.Json, context.RequestAborted);
    }
}

internal sealed partial class FakeStripeServerSearch
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^metadata\['idempotency_key'\]:'(?<key>[^']+)'$")]
    internal static partial System.Text.RegularExpressions.Regex IdempotencyKeyQuery();
}

/// <summary>Response bodies shaped like Stripe's (API version 2025-era PaymentIntent and error objects).</summary>
internal static class StripeJson
{
    public static string Intent(RecordedRequest request, string status, string id = "pi_3QxTestIntent0001") => $$"""
        {
          "id": "{{id}}",
          "object": "payment_intent",
          "amount": {{request.Form.GetValueOrDefault("amount", "0")}},
          "amount_capturable": 0,
          "amount_received": {{(status == "succeeded" ? request.Form.GetValueOrDefault("amount", "0") : "0")}},
          "capture_method": "automatic",
          "client_secret": "{{id}}_secret_test",
          "confirmation_method": "automatic",
          "created": 1735689600,
          "currency": "{{request.Form.GetValueOrDefault("currency", "usd")}}",
          "customer": "{{request.Form.GetValueOrDefault("customer")}}",
          "description": null,
          "last_payment_error": null,
          "latest_charge": "ch_3QxTestCharge0001",
          "livemode": false,
          "metadata": { "run_key": "{{request.Form.GetValueOrDefault("metadata[run_key]")}}" },
          "next_action": null,
          "payment_method": "{{request.Form.GetValueOrDefault("payment_method")}}",
          "payment_method_types": ["card", "us_bank_account"],
          "status": "{{status}}"
        }
        """;

    public static string CardError(string message, string? declineCode, string code = "card_declined", string? adviceCode = null) => $$"""
        {
          "error": {
            "advice_code": {{Quote(adviceCode)}},
            "charge": "ch_3QxTestDeclined01",
            "code": "{{code}}",
            "decline_code": {{Quote(declineCode)}},
            "doc_url": "https://stripe.com/docs/error-codes/{{code.Replace('_', '-')}}",
            "message": "{{message}}",
            "payment_intent": {
              "id": "pi_3QxTestDeclined01",
              "object": "payment_intent",
              "amount": 12345,
              "currency": "usd",
              "status": "requires_payment_method",
              "livemode": false
            },
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_test?t=1735689600",
            "type": "card_error"
          }
        }
        """;

    public static string Error(string type, string? code, string message) => $$"""
        {
          "error": {
            "code": {{Quote(code)}},
            "message": "{{message}}",
            "request_log_url": "https://dashboard.stripe.com/test/logs/req_test?t=1735689600",
            "type": "{{type}}"
          }
        }
        """;

    private static string Quote(string? value) => value is null ? "null" : $"\"{value}\"";
}
