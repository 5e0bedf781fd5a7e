using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
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
    string Method,
    string Path,
    string? Authorization,
    string? IdempotencyKey,
    string? StripeAccount,
    string? ContentType,
    IReadOnlyDictionary<string, string> Form);

/// <summary>
/// What the fake Stripe answers: an HTTP status and a JSON body, optionally after a delay, with extra headers.
/// <paramref name="Saved"/> says whether Stripe's idempotency layer keeps this answer for the key; by default a 200
/// or 402 is kept (execution began) and anything else is not.
/// </summary>
internal sealed record StripeReply(int Status, string Json, TimeSpan Delay = default, IReadOnlyDictionary<string, string>? Headers = null, bool? Saved = null);

/// <summary>
/// A loopback Kestrel server standing in for the parts of Stripe's API the adapter uses, built from Stripe's
/// documentation and Stripe.net's source rather than from our own reading. It records every request and checks each
/// against what Stripe documents, collecting broken rules in <see cref="Violations"/>:
/// <list type="bullet">
/// <item><c>POST /v1/payment_intents</c>. Destination charges (docs.stripe.com/connect/destination-charges): created on
/// the platform (no <c>Stripe-Account</c> header; the Customer and PaymentMethod live on the platform), funds
/// transferred to <c>transfer_data[destination]</c>, the whole amount when <c>transfer_data[amount]</c> is absent
/// (Stripe.net <c>PaymentIntentTransferDataOptions.Amount</c> doc), the platform's balance debited for Stripe's fees;
/// <c>on_behalf_of</c> names the settlement merchant. <c>application_fee_amount</c> is capped at the amount (Stripe.net
/// <c>PaymentIntentCreateOptions.ApplicationFeeAmount</c> doc). <c>mandate</c> only with <c>confirm=true</c> (Stripe.net
/// <c>PaymentIntentCreateOptions.Mandate</c> doc). The payment method type goes in <c>allowed_payment_method_types</c>:
/// Stripe.net 53.1.0 pins API version 2026-10-28.endive, whose create options have no <c>payment_method_types</c>.</item>
/// <item>Idempotency (docs.stripe.com/idempotency, /api/idempotent_requests): the first answer of a key is saved once
/// execution began, 500s included, and replayed for the same key with <c>Idempotent-Replayed: true</c>; the same key
/// with other parameters is a 400 <c>idempotency_error</c>; an answer given before execution (a 409 in flight, a 503
/// marked <c>Stripe-Should-Retry: true</c>) is not saved. Stripe.net's SystemNetHttpClient reads
/// <c>Stripe-Should-Retry</c> and notes that a 500 usually carries <c>false</c> because the key would replay it.</item>
/// <item><c>GET /v1/payment_intents</c>, the list endpoint (docs.stripe.com/api/pagination): filtered by
/// <c>customer</c> and <c>created[gte]</c>, newest first, <c>limit</c> 1–100, <c>starting_after</c> cursor. Unlike
/// Search (docs.stripe.com/search: "don't use search for read-after-write flows"), a list sees an intent at once.</item>
/// <item>ACH (docs.stripe.com/payments/ach-direct-debit): a PaymentIntent for an unverified bank account ends
/// <c>requires_action</c> with <c>next_action.type = verify_with_microdeposits</c> (Stripe.net
/// <c>PaymentIntentNextAction.Type</c> doc); a debit being processed is <c>processing</c>.</item>
/// <item><c>GET /v1/payment_intents/{id}</c>, retrieve (docs.stripe.com/api/payment_intents/retrieve): the intent with
/// its metadata; an id Stripe does not know is a 404 <c>invalid_request_error</c> with code <c>resource_missing</c>.
/// <see cref="FailRetrievals"/> makes it answer 500 (Stripe's <c>api_error</c>).</item>
/// </list>
/// Search (<c>/v1/payment_intents/search</c>) is not served: the adapter must not depend on it.
/// </summary>
internal sealed class FakeStripeServer : IAsyncDisposable
{
    private static readonly string[] Rails = ["card", "us_bank_account"];

    private readonly WebApplication app;
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly ConcurrentQueue<Func<RecordedRequest, StripeReply>> scripted = new();
    private readonly ConcurrentDictionary<string, (RecordedRequest Request, StripeReply Reply)> saved = new(StringComparer.Ordinal);
    private readonly List<StoredIntent> intents = [];
    private readonly object gate = new();

    private FakeStripeServer(WebApplication app) => this.app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public IReadOnlyList<RecordedRequest> Requests => requests.ToArray();

    /// <summary>The PaymentIntent creations received (replays included).</summary>
    public IReadOnlyList<RecordedRequest> Creates => requests.Where(r => r is { Method: "POST", Path: "/v1/payment_intents" }).ToArray();

    /// <summary>Every broken rule seen; empty when the client behaved.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>While true, a retrieval answers 500 (Stripe's own trouble).</summary>
    public bool FailRetrievals { get; set; }

    /// <summary>The reply when nothing is scripted.</summary>
    public Func<RecordedRequest, StripeReply> Default { get; set; } = r => new StripeReply(200, StripeJson.Intent(r, "succeeded"));

    public static async Task<FakeStripeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeStripeServer(app);
        app.MapPost("/v1/payment_intents", server.CreateAsync);
        app.MapGet("/v1/payment_intents", server.ListAsync);
        app.MapGet("/v1/payment_intents/{id}", server.RetrieveAsync);
        app.MapFallback(server.UnknownAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    /// <summary>Answers the next creation with <paramref name="reply"/>, then falls back to later scripts or <see cref="Default"/>.</summary>
    public void ThenReply(Func<RecordedRequest, StripeReply> reply) => scripted.Enqueue(reply);

    public void ThenReply(StripeReply reply) => scripted.Enqueue(_ => reply);

    /// <summary>An intent that exists in Stripe without this test having created it (another process, a lost response).</summary>
    public string Seed(string customer, string idempotencyKey, string status, long amount, long created)
    {
        lock (gate)
        {
            var id = "pi_seed" + intents.Count.ToString(CultureInfo.InvariantCulture).PadLeft(4, '0');
            intents.Add(new StoredIntent(id, customer, created, StripeJson.IntentJson(id, amount, "usd", customer, "pm_seed", status, created,
                new Dictionary<string, string> { ["idempotency_key"] = idempotencyKey })));
            return id;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task UnknownAsync(HttpContext context)
    {
        Violations.Enqueue($"unexpected {context.Request.Method} {context.Request.Path}");
        requests.Enqueue(Record(context, new Dictionary<string, string>()));
        context.Response.StatusCode = 404;
        await context.Response.WriteAsync(StripeJson.Error("invalid_request_error", "resource_missing", "Unrecognized request URL."), context.RequestAborted);
    }

    private async Task CreateAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var recorded = Record(context, form.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal));
        requests.Enqueue(recorded);
        CheckCreate(recorded);

        StripeReply reply;
        var replayed = false;
        if (recorded.IdempotencyKey is { Length: > 0 } key && saved.TryGetValue(key, out var first))
        {
            if (!SameParameters(first.Request.Form, recorded.Form))
            {
                reply = new StripeReply(400, StripeJson.Error("idempotency_error", null,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with."));
            }
            else
            {
                reply = first.Reply;
                replayed = true;
            }
        }
        else
        {
            reply = (scripted.TryDequeue(out var script) ? script : Default)(recorded);
            if (reply.Saved ?? reply.Status is 200 or 402)
            {
                saved[recorded.IdempotencyKey ?? string.Empty] = (recorded, reply);
            }

            if (reply.Status == 200)
            {
                Store(reply.Json);
            }
        }

        if (reply.Delay > TimeSpan.Zero && !replayed)
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

        if (replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        await WriteAsync(context, reply);
    }

    private async Task ListAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var recorded = Record(context, query.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal));
        requests.Enqueue(recorded);
        var customer = query["customer"].ToString();
        if (customer.Length == 0)
        {
            Violations.Enqueue("list without customer: the lookup must stay within the payer's intents");
        }

        if (!long.TryParse(query["created[gte]"], NumberStyles.None, CultureInfo.InvariantCulture, out var since))
        {
            Violations.Enqueue("list without created[gte]: the lookup must start at the run's allocation");
        }

        var limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 10;
        if (limit is < 1 or > 100)
        {
            Violations.Enqueue($"limit {limit} outside 1–100");
            limit = 10;
        }

        List<StoredIntent> page;
        bool hasMore;
        lock (gate)
        {
            var all = intents.Where(i => i.Customer == customer && i.Created >= since)
                .OrderByDescending(i => i.Created).ThenByDescending(i => i.Id, StringComparer.Ordinal).ToList();
            var after = query["starting_after"].ToString();
            if (after.Length > 0)
            {
                all = all.SkipWhile(i => i.Id != after).Skip(1).ToList();
            }

            page = all.Take(limit).ToList();
            hasMore = all.Count > limit;
        }

        await WriteAsync(context, new StripeReply(200,
            $$"""{"object":"list","url":"/v1/payment_intents","has_more":{{(hasMore ? "true" : "false")}},"data":[{{string.Join(",", page.Select(p => p.Json))}}]}"""));
    }

    private async Task RetrieveAsync(HttpContext context, string id)
    {
        requests.Enqueue(Record(context, new Dictionary<string, string>()));
        if (context.Request.Headers.ContainsKey("Stripe-Account"))
        {
            Violations.Enqueue("retrieve with Stripe-Account: destination charges live on the platform");
        }

        if (FailRetrievals)
        {
            await WriteAsync(context, new StripeReply(500, StripeJson.Error("api_error", null, "An unknown error occurred.")));
            return;
        }

        StoredIntent? found;
        lock (gate)
        {
            found = intents.FirstOrDefault(i => i.Id == id);
        }

        await WriteAsync(context, found is null
            ? new StripeReply(404, StripeJson.Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{id}'"))
            : new StripeReply(200, found.Json));
    }

    private static async Task WriteAsync(HttpContext context, StripeReply reply)
    {
        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["Request-Id"] = "req_" + Guid.NewGuid().ToString("N")[..14];
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(reply.Json, context.RequestAborted);
    }

    private static RecordedRequest Record(HttpContext context, IReadOnlyDictionary<string, string> form) => new(
        context.Request.Method,
        context.Request.Path,
        context.Request.Headers.Authorization.ToString(),
        context.Request.Headers["Idempotency-Key"].ToString(),
        context.Request.Headers["Stripe-Account"].ToString(),
        context.Request.ContentType,
        form);

    private void Store(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        lock (gate)
        {
            intents.Add(new StoredIntent(root.GetProperty("id").GetString()!, root.GetProperty("customer").GetString()!, root.GetProperty("created").GetInt64(), json));
        }
    }

    private void CheckCreate(RecordedRequest r)
    {
        void Require(bool ok, string rule)
        {
            if (!ok)
            {
                Violations.Enqueue(rule);
            }
        }

        var f = r.Form;
        Require(r.Authorization?.StartsWith("Bearer sk_", StringComparison.Ordinal) == true, "Authorization is not a secret key bearer");
        Require(r.IdempotencyKey is { Length: > 0 and <= 255 }, "Idempotency-Key missing or longer than 255");
        Require(string.IsNullOrEmpty(r.StripeAccount), "Stripe-Account header set: destination charges are created on the platform");
        Require(long.TryParse(f.GetValueOrDefault("amount"), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0, "amount is not a positive integer");
        Require(f.GetValueOrDefault("currency") is { Length: 3 } c && c == c.ToLowerInvariant(), "currency is not a lower-case ISO code");
        Require(f.GetValueOrDefault("confirm") == "true" && f.GetValueOrDefault("off_session") == "true", "not confirm=true and off_session=true");
        Require(f.GetValueOrDefault("customer")?.StartsWith("cus_", StringComparison.Ordinal) == true, "customer missing");
        Require(f.GetValueOrDefault("payment_method")?.StartsWith("pm_", StringComparison.Ordinal) == true, "payment_method missing");
        Require(!f.ContainsKey("payment_method_types[0]"), "payment_method_types is not a create parameter in API version 2026-10-28.endive");
        var types = f.Where(kv => kv.Key.StartsWith("allowed_payment_method_types[", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        Require(types.Count == 1 && Rails.Contains(types[0]), "allowed_payment_method_types is not exactly one of card, us_bank_account");
        Require(!f.Keys.Any(k => k.StartsWith("automatic_payment_methods", StringComparison.Ordinal)) || types.Count == 0, "automatic_payment_methods together with explicit types");
        var destination = f.GetValueOrDefault("transfer_data[destination]");
        Require(destination?.StartsWith("acct_", StringComparison.Ordinal) == true, "transfer_data[destination] is not a connected account");
        Require(f.GetValueOrDefault("on_behalf_of") == destination, "on_behalf_of differs from transfer_data[destination]");
        Require(!f.ContainsKey("transfer_data[amount]"), "transfer_data[amount] set: the whole amount must be transferred");
        if (f.TryGetValue("application_fee_amount", out var feeText))
        {
            Require(long.TryParse(feeText, NumberStyles.None, CultureInfo.InvariantCulture, out var fee) && fee > 0 && fee <= amount, "application_fee_amount not within 1..amount");
        }

        if (f.ContainsKey("mandate"))
        {
            Require(types.SequenceEqual(["us_bank_account"]), "mandate sent with a card");
            Require(f["mandate"].StartsWith("mandate_", StringComparison.Ordinal), "mandate is not a mandate id");
        }
    }

    private static bool SameParameters(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private sealed record StoredIntent(string Id, string Customer, long Created, string Json);
}

/// <summary>Response bodies shaped like Stripe's PaymentIntent and error objects.</summary>
internal static class StripeJson
{
    private static int sequence;

    /// <summary>Creation times start here (2026-01-01T00:00:00Z), one second apart.</summary>
    public const long Epoch = 1_767_225_600;

    /// <summary>The intent a create request produces, echoing its routing and metadata.</summary>
    public static string Intent(RecordedRequest request, string status, string? id = null, string? nextAction = null, long? created = null)
    {
        var metadata = request.Form.Where(kv => kv.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["metadata[".Length..^1], kv => kv.Value);
        return IntentJson(
            id ?? "pi_3QxTest" + Interlocked.Increment(ref sequence).ToString(CultureInfo.InvariantCulture).PadLeft(8, '0'),
            long.Parse(request.Form.GetValueOrDefault("amount", "0"), CultureInfo.InvariantCulture),
            request.Form.GetValueOrDefault("currency", "usd"),
            request.Form.GetValueOrDefault("customer", "cus_unknown"),
            request.Form.GetValueOrDefault("payment_method", "pm_unknown"),
            status,
            created ?? Epoch + sequence,
            metadata,
            request.Form.GetValueOrDefault("on_behalf_of"),
            request.Form.GetValueOrDefault("transfer_data[destination]"),
            request.Form.TryGetValue("application_fee_amount", out var fee) ? fee : null,
            nextAction);
    }

    public static string IntentJson(
        string id, long amount, string currency, string customer, string paymentMethod, string status, long created,
        IReadOnlyDictionary<string, string> metadata, string? onBehalfOf = null, string? destination = null, string? applicationFee = null, string? nextAction = null) => $$"""
        {
          "id": "{{id}}",
          "object": "payment_intent",
          "amount": {{amount}},
          "amount_received": {{(status == "succeeded" ? amount : 0)}},
          "application_fee_amount": {{applicationFee ?? "null"}},
          "capture_method": "automatic",
          "client_secret": "{{id}}_secret_test",
          "confirmation_method": "automatic",
          "created": {{created}},
          "currency": "{{currency}}",
          "customer": "{{customer}}",
          "description": null,
          "last_payment_error": null,
          "latest_charge": "ch_{{id[3..]}}",
          "livemode": false,
          "metadata": {{JsonSerializer.Serialize(metadata)}},
          "next_action": {{nextAction ?? "null"}},
          "on_behalf_of": {{Quote(onBehalfOf)}},
          "payment_method": "{{paymentMethod}}",
          "status": "{{status}}",
          "transfer_data": {{(destination is null ? "null" : $$"""{"destination":"{{destination}}"}""")}}
        }
        """;

    /// <summary>The next_action of an ACH intent whose bank account awaits micro-deposit verification.</summary>
    public const string VerifyWithMicrodeposits = """
        {
          "type": "verify_with_microdeposits",
          "verify_with_microdeposits": {
            "arrival_date": 1767484800,
            "hosted_verification_url": "https://payments.stripe.com/microdeposit/pacs_test_123",
            "microdeposit_type": "descriptor_code"
          }
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
