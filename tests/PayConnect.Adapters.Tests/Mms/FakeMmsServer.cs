using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PayConnect.Adapters.Tests.Mms;

internal sealed record FakeClient(string Number, string Name);

internal sealed record FakeMatter(string Number, string Name, string ClientNumber);

/// <summary>An invoice as the firm's endpoint writes it: amounts and dates are the strings on the wire.</summary>
internal sealed record FakeInvoice(
    string Number,
    string ClientNumber,
    string MatterNumber,
    string InvoiceDate,
    string DueDate,
    string Total,
    string OutstandingBalance,
    string Currency = "USD");

/// <summary>What the fake MMS received: the raw request target and whether the signature checked out.</summary>
internal sealed record FakeMmsRequest(string Target, string? Version, string? Firm, bool SignatureValid);

/// <summary>
/// A loopback Kestrel server implementing docs/mms-http-connector.md the way a firm would: it verifies every
/// request's HMAC signature over the raw request target (401 otherwise), searches its data, pages with an
/// opaque offset cursor, and answers outstanding invoices scope by scope without deduplicating (so overlaps
/// reach the connector). Tests can script failures ahead of the real answer.
/// </summary>
internal sealed class FakeMmsServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly byte[] key;
    private readonly ConcurrentQueue<FakeMmsRequest> requests = new();
    private readonly ConcurrentQueue<int> failures = new();

    private FakeMmsServer(WebApplication app, string secret)
    {
        this.app = app;
        key = Encoding.UTF8.GetBytes(secret);
    }

    public string BaseUrl { get; private set; } = string.Empty;

    private string PathBase { get; set; } = string.Empty;

    public List<FakeClient> Clients { get; } = [];

    public List<FakeMatter> Matters { get; } = [];

    public List<FakeInvoice> Invoices { get; } = [];

    /// <summary>Items per page of <c>/invoices/outstanding</c>, small so paging is exercised.</summary>
    public int OutstandingPageSize { get; set; } = 2;

    /// <summary>Applied to each invoice row just before it is written: for sending what a string record cannot.</summary>
    public Func<JsonObject, JsonObject> WriteInvoice { get; set; } = row => row;

    /// <summary>How long to wait before answering (to exercise the connector's timeout).</summary>
    public TimeSpan Delay { get; set; }

    public IReadOnlyList<FakeMmsRequest> Requests => requests.ToArray();

    public static async Task<FakeMmsServer> StartAsync(string secret, string pathBase = "/mms")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeMmsServer(app, secret);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + pathBase;
        server.PathBase = pathBase;
        return server;
    }

    /// <summary>Answers the next request with <paramref name="status"/> instead of data.</summary>
    public void ThenFail(int status) => failures.Enqueue(status);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var valid = Verify(context.Request, target);
        requests.Enqueue(new FakeMmsRequest(target, context.Request.Headers["X-PayConnect-Version"], context.Request.Headers["X-PayConnect-Firm"], valid));
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (!valid)
        {
            await Reply(context, 401, new JsonObject { ["title"] = "Signature does not verify" });
            return;
        }

        if (failures.TryDequeue(out var status))
        {
            await Reply(context, status, new JsonObject { ["title"] = "Scripted failure" });
            return;
        }

        if (context.Request.Headers["X-PayConnect-Version"] != "1" || !context.Request.Path.StartsWithSegments(PathBase, out var rest))
        {
            await Reply(context, 400, new JsonObject { ["title"] = "Unsupported version or path" });
            return;
        }

        var query = context.Request.Query;
        var answer = rest.Value switch
        {
            "/clients" => Listing(query, Clients, c => c.Number, c => c.Name, c => new JsonObject { ["number"] = c.Number, ["name"] = c.Name }),
            "/matters" => Listing(query, Matters, m => m.Number, m => m.Name, MatterRow),
            "/invoices" => Listing(query, Invoices, i => i.Number, _ => string.Empty, InvoiceRow),
            "/invoices/outstanding" => Outstanding(query),
            _ => null,
        };
        await Reply(context, answer is null ? 404 : 200, answer ?? new JsonObject { ["title"] = "No such resource" });
    }

    private bool Verify(HttpRequest request, string target)
    {
        var date = request.Headers["X-PayConnect-Date"].ToString();
        var signature = request.Headers["X-PayConnect-Signature"].ToString();
        if (!DateTimeOffset.TryParseExact(date, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt)
            || (DateTimeOffset.UtcNow - signedAt).Duration() > TimeSpan.FromMinutes(5))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(request.Method + "\n" + target + "\n" + date));
        try
        {
            return CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(signature));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private JsonObject? Listing<T>(IQueryCollection query, List<T> rows, Func<T, string> number, Func<T, string> name, Func<T, JsonObject> write)
    {
        if (query.TryGetValue("number", out var exact))
        {
            return Page(rows.Where(r => string.Equals(number(r), exact, StringComparison.OrdinalIgnoreCase)).Select(write).ToList(), 0, int.MaxValue);
        }

        var text = query["search"].ToString();
        IEnumerable<T> matches = query["by"].ToString() switch
        {
            "name" => rows.Where(r => name(r).Contains(text, StringComparison.OrdinalIgnoreCase)),
            "number" => rows.Where(r => number(r).StartsWith(text, StringComparison.OrdinalIgnoreCase)),
            _ => throw new InvalidOperationException("The connector sent an unknown 'by'."),
        };
        var pageSize = int.Parse(query["pageSize"].ToString(), CultureInfo.InvariantCulture);
        return Page(matches.OrderBy(number, StringComparer.Ordinal).Select(write).ToList(), Offset(query), pageSize);
    }

    private JsonObject Outstanding(IQueryCollection query)
    {
        var clients = query["client"].Select(c => c!).ToList();
        var matters = query["matter"].Select(m => m!).ToList();
        var numbers = query["invoice"].Select(n => n!).ToList();
        var open = Invoices.Where(i => decimal.Parse(i.OutstandingBalance, CultureInfo.InvariantCulture) > 0).ToList();
        var union = clients.SelectMany(c => open.Where(i => string.Equals(i.ClientNumber, c, StringComparison.OrdinalIgnoreCase)))
            .Concat(matters.SelectMany(m => open.Where(i => string.Equals(i.MatterNumber, m, StringComparison.OrdinalIgnoreCase))))
            .Concat(numbers.SelectMany(n => open.Where(i => string.Equals(i.Number, n, StringComparison.OrdinalIgnoreCase))))
            .Select(InvoiceRow)
            .ToList();
        return Page(union, Offset(query), OutstandingPageSize);
    }

    private static int Offset(IQueryCollection query) =>
        query.TryGetValue("cursor", out var cursor) ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(cursor.ToString()))[7..], CultureInfo.InvariantCulture) : 0;

    private static JsonObject Page(List<JsonObject> all, int offset, int pageSize)
    {
        var items = new JsonArray(all.Skip(offset).Take(pageSize).ToArray<JsonNode?>());
        var next = (long)offset + pageSize < all.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes("offset=" + (offset + pageSize).ToString(CultureInfo.InvariantCulture))) : null;
        return new JsonObject { ["items"] = items, ["nextCursor"] = next };
    }

    private JsonObject MatterRow(FakeMatter m) => new()
    {
        ["number"] = m.Number,
        ["name"] = m.Name,
        ["clientNumber"] = m.ClientNumber,
        ["clientName"] = Clients.FirstOrDefault(c => c.Number == m.ClientNumber)?.Name,
    };

    private JsonObject InvoiceRow(FakeInvoice i) => WriteInvoice(new JsonObject
    {
        ["number"] = i.Number,
        ["clientNumber"] = i.ClientNumber,
        ["matterNumber"] = i.MatterNumber,
        ["invoiceDate"] = i.InvoiceDate,
        ["dueDate"] = i.DueDate,
        ["total"] = i.Total,
        ["outstandingBalance"] = i.OutstandingBalance,
        ["currency"] = i.Currency,
        ["clientName"] = Clients.FirstOrDefault(c => c.Number == i.ClientNumber)?.Name,
        ["matterName"] = Matters.FirstOrDefault(m => m.Number == i.MatterNumber)?.Name,
    });

    private static async Task Reply(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = status == 200 ? "application/json" : "application/problem+json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
