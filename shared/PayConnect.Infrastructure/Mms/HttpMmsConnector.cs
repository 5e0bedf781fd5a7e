using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime.Text;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Storage;

namespace PayConnect.Infrastructure.Mms;

/// <summary>
/// Reads one firm's MMS from the endpoint it hosts, per docs/mms-http-connector.md: signed GETs, bounded
/// retries of 5xx/429/network/timeouts (a Polly pipeline: retry around a per-attempt timeout), and strict parsing. Anything it cannot trust, be it an unreachable
/// endpoint, a bad status or a single invalid row, becomes an <see cref="MmsUnavailableException"/> naming
/// the cause, never a partial or guessed answer.
/// </summary>
public sealed class HttpMmsConnector : IMmsConnector
{
    public const string ContractVersion = "1";
    public const string DateHeader = "X-PayConnect-Date";
    public const string SignatureHeader = "X-PayConnect-Signature";
    public const string VersionHeader = "X-PayConnect-Version";
    public const string FirmHeader = "X-PayConnect-Firm";
    public const int MaxCursorLength = 1000;

    private const int MaxNumberLength = 64;
    private const int MaxNameLength = 200;

    private readonly HttpClient http;
    private readonly string baseUrl;
    private readonly byte[] key;
    private readonly HttpMmsOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ResiliencePipeline<Answer> pipeline;

    private static readonly ResiliencePropertyKey<string> PathKey = new("PayConnect.MmsPath");

    /// <param name="httpClient">A long-lived client; the connector bounds each attempt itself.</param>
    /// <param name="baseUrl">The firm's endpoint (see <see cref="MmsBaseUrls"/>).</param>
    /// <param name="sharedSecret">The firm's shared secret; requests are signed with it, it is never sent.</param>
    public HttpMmsConnector(HttpClient httpClient, string baseUrl, string sharedSecret, HttpMmsOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        http = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        this.baseUrl = MmsBaseUrls.TryParse(baseUrl, out var url, out var problem) ? url! : throw new ArgumentException(problem, nameof(baseUrl));
        ArgumentException.ThrowIfNullOrEmpty(sharedSecret);
        key = Encoding.UTF8.GetBytes(sharedSecret);
        this.options = options ?? new HttpMmsOptions();
        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(this.options.MaxAttempts, 1);
        pipeline = BuildPipeline();
    }

    /// <summary>The signature of one request: base64 HMAC-SHA256 over <c>METHOD\npathAndQuery\ndate</c>.</summary>
    public static string Sign(byte[] key, string method, string pathAndQuery, string date) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(method + "\n" + pathAndQuery + "\n" + date)));

    public async Task<RecordPage<MmsSearchResult>> SearchAsync(string firmId, MmsSearchBy by, string text, int pageSize, string? continuation, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var (resource, criterion) = by switch
        {
            MmsSearchBy.ClientName => ("clients", "name"),
            MmsSearchBy.ClientNumber => ("clients", "number"),
            MmsSearchBy.MatterName => ("matters", "name"),
            MmsSearchBy.MatterNumber => ("matters", "number"),
            MmsSearchBy.InvoiceNumber => ("invoices", "number"),
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, "Unknown search criterion."),
        };
        var query = $"/{resource}?search={Escape(text.Trim())}&by={criterion}&pageSize={pageSize.ToString(CultureInfo.InvariantCulture)}"
            + (continuation is null ? string.Empty : "&cursor=" + Escape(continuation));

        var page = await GetPageAsync(firmId, query, ResultReader(resource), cancellationToken).ConfigureAwait(false);
        if (page.Items.Count > pageSize)
        {
            throw new MmsUnavailableException($"The MMS endpoint answered {page.Items.Count} {resource} to a search for at most {pageSize}.");
        }

        return new RecordPage<MmsSearchResult>(page.Items, page.NextCursor);
    }

    public async Task<MmsSearchResult?> FindAsync(string firmId, MmsScope scope, CancellationToken cancellationToken)
    {
        var resource = ResourceOf(scope.Level);
        var page = await GetPageAsync(firmId, $"/{resource}?number={Escape(scope.Number)}", ResultReader(resource), cancellationToken).ConfigureAwait(false);
        if (page.Items.Count > 1 || page.NextCursor is not null)
        {
            throw new MmsUnavailableException($"The MMS endpoint answered {page.Items.Count} {resource} (and {(page.NextCursor is null ? "no" : "a")} next page) for the number '{scope.Number}'; expected at most one.");
        }

        var found = page.Items.SingleOrDefault();
        if (found is not null && !string.Equals(NumberOf(found), scope.Number, StringComparison.OrdinalIgnoreCase))
        {
            throw new MmsUnavailableException($"The MMS endpoint answered {resource} '{NumberOf(found)}' for the number '{scope.Number}'.");
        }

        return found;
    }

    public async Task<IReadOnlyList<MmsInvoice>> OutstandingInvoicesAsync(string firmId, IReadOnlyCollection<MmsScope> scopes, CancellationToken cancellationToken)
    {
        var distinct = scopes.DistinctBy(s => (s.Level, s.Number.ToUpperInvariant())).ToList();
        var clients = NumbersAt(distinct, AssociationLevel.Client);
        var matters = NumbersAt(distinct, AssociationLevel.Matter);
        var invoices = NumbersAt(distinct, AssociationLevel.Invoice);
        var found = new Dictionary<string, MmsInvoice>(StringComparer.Ordinal);

        foreach (var chunk in distinct.Chunk(options.MaxScopesPerRequest))
        {
            var query = "/invoices/outstanding?" + string.Join("&", chunk.Select(s => ScopeParameter(s.Level) + "=" + Escape(s.Number)));
            string? cursor = null;
            for (var pages = 1; ; pages++)
            {
                var page = await GetPageAsync(firmId, query + (cursor is null ? string.Empty : "&cursor=" + Escape(cursor)), InvoiceRow, cancellationToken).ConfigureAwait(false);
                foreach (var (invoice, row) in page.Items)
                {
                    if (!clients.Contains(invoice.ClientNumber.ToUpperInvariant()) && !matters.Contains(invoice.MatterNumber.ToUpperInvariant()) && !invoices.Contains(invoice.Key))
                    {
                        // Paying an invoice outside the enrolled scopes would charge the payer for someone else's bill.
                        throw new MmsUnavailableException($"The MMS endpoint answered invoice '{invoice.Number}' at {row} for /invoices/outstanding, but it is in none of the requested scopes.");
                    }

                    if (invoice.OutstandingMinor <= 0)
                    {
                        continue;
                    }

                    if (found.TryGetValue(invoice.Key, out var seen) && seen != invoice)
                    {
                        throw new MmsUnavailableException($"The MMS endpoint answered invoice '{invoice.Number}' twice with different data (second at {row}).");
                    }

                    found[invoice.Key] = invoice;
                }

                if (page.NextCursor is null)
                {
                    break;
                }

                if (page.NextCursor == cursor || pages >= options.MaxPages)
                {
                    throw new MmsUnavailableException($"The MMS endpoint kept paging /invoices/outstanding ({pages} pages); its cursor does not advance.");
                }

                cursor = page.NextCursor;
            }
        }

        return found.Values.ToList();
    }

    private static HashSet<string> NumbersAt(IEnumerable<MmsScope> scopes, AssociationLevel level) =>
        scopes.Where(s => s.Level == level).Select(s => s.Number.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);

    private static string ResourceOf(AssociationLevel level) => level switch
    {
        AssociationLevel.Client => "clients",
        AssociationLevel.Matter => "matters",
        _ => "invoices",
    };

    private static string ScopeParameter(AssociationLevel level) => level switch
    {
        AssociationLevel.Client => "client",
        AssociationLevel.Matter => "matter",
        _ => "invoice",
    };

    private static string NumberOf(MmsSearchResult r) => r.Level switch
    {
        AssociationLevel.Client => r.ClientNumber,
        AssociationLevel.Matter => r.MatterNumber!,
        _ => r.InvoiceNumber!,
    };

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static Func<Row, MmsSearchResult> ResultReader(string resource) => resource switch
    {
        "clients" => row => new MmsSearchResult(AssociationLevel.Client, row.Number("number"), row.Text("name", required: true), null, null, null, null, null, null),
        "matters" => row =>
        {
            var number = row.Number("number");
            var name = row.Text("name", required: true);
            return new MmsSearchResult(AssociationLevel.Matter, row.Number("clientNumber"), row.Text("clientName", required: false), number, name, null, null, null, null);
        },
        _ => row =>
        {
            var (invoice, _) = InvoiceRow(row);
            return new MmsSearchResult(AssociationLevel.Invoice, invoice.ClientNumber, row.Text("clientName", required: false), invoice.MatterNumber,
                row.Text("matterName", required: false), invoice.Number, invoice.InvoiceDate, invoice.OutstandingMinor, invoice.Currency);
        },
    };

    private static (MmsInvoice Invoice, string Row) InvoiceRow(Row row)
    {
        var number = row.Number("number");
        var client = row.Number("clientNumber");
        var matter = row.Number("matterNumber");
        var invoiceDate = row.Date("invoiceDate");
        var dueDate = row.Date("dueDate");
        if (dueDate < invoiceDate)
        {
            throw row.Invalid("dueDate", $"'{dueDate:yyyy-MM-dd}' is before the invoice date");
        }

        var currency = row.Text("currency", required: true)!;
        if (!Currencies.IsSupported(currency))
        {
            throw row.Invalid("currency", $"'{currency}' is not a supported ISO 4217 currency code");
        }

        var total = row.Money("total", currency);
        var outstanding = row.Money("outstandingBalance", currency);
        if (outstanding > total)
        {
            throw row.Invalid("outstandingBalance", "exceeds the invoice total");
        }

        return (new MmsInvoice(number, client, matter, invoiceDate, dueDate, total, outstanding, currency) { PaymentReferences = row.References("paymentReferences") }, row.ToString());
    }

    private async Task<Page<T>> GetPageAsync<T>(string firmId, string relative, Func<Row, T> read, CancellationToken cancellationToken)
    {
        var uri = new Uri(baseUrl + relative);
        using var document = await GetJsonAsync(firmId, uri, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            throw new MmsUnavailableException($"The MMS endpoint answered GET {uri.AbsolutePath} without an items array.");
        }

        string? next = null;
        if (root.TryGetProperty("nextCursor", out var cursor) && cursor.ValueKind != JsonValueKind.Null)
        {
            next = cursor.ValueKind == JsonValueKind.String ? cursor.GetString() : null;
            if (string.IsNullOrEmpty(next) || next.Length > MaxCursorLength)
            {
                throw new MmsUnavailableException($"The MMS endpoint answered GET {uri.AbsolutePath} with a nextCursor that is not a string of 1 to {MaxCursorLength} characters.");
            }
        }

        var kind = uri.AbsolutePath[(uri.AbsolutePath.LastIndexOf('/') + 1)..];
        var result = new List<T>(items.GetArrayLength());
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            result.Add(read(new Row(item, kind, index++)));
        }

        return new Page<T>(result, next);
    }

    private async Task<JsonDocument> GetJsonAsync(string firmId, Uri uri, CancellationToken cancellationToken)
    {
        var call = new Call(firmId, uri);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(PathKey, call.Path);
        try
        {
            var answer = await pipeline.ExecuteAsync(
                static (ctx, state) => state.Connector.AttemptAsync(state.Call, ctx.CancellationToken),
                context,
                (Connector: this, Call: call)).ConfigureAwait(false);
            return answer.Document
                ?? throw new MmsUnavailableException($"The MMS endpoint answered {answer.Status} to GET {call.Path} ({call.Attempts} attempts).");
        }
        catch (HttpRequestException ex)
        {
            throw new MmsUnavailableException($"The MMS endpoint could not be reached ({ex.HttpRequestError}) to GET {call.Path} ({call.Attempts} attempts).");
        }
        catch (TimeoutRejectedException)
        {
            throw new MmsUnavailableException($"The MMS endpoint did not answer within {Seconds(options.AttemptTimeout)} s to GET {call.Path} ({call.Attempts} attempts).");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>One signed GET within the pipeline's per-attempt timeout: a JSON answer, a status worth retrying, or a final refusal.</summary>
    private async ValueTask<Answer> AttemptAsync(Call call, CancellationToken attemptToken)
    {
        call.Attempts++;
        using var request = SignedRequest(call.FirmId, call.Uri);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (status == 200)
        {
            return new Answer(status, await ReadJsonAsync(response, call.Path, attemptToken).ConfigureAwait(false));
        }

        if (IsRetried(status))
        {
            return new Answer(status, null);
        }

        var hint = status is 401 or 403 ? " (it did not accept PayConnect's signature: check the firm's MMS shared secret)" : string.Empty;
        throw new MmsUnavailableException($"The MMS endpoint answered {status} to GET {call.Path}{hint}.");
    }

    /// <summary>
    /// Retries (with exponential backoff, no jitter) 5xx and 429 answers, network failures and attempts that ran
    /// out of time; each attempt, body included, is bounded by <see cref="HttpMmsOptions.AttemptTimeout"/>.
    /// Anything else, including the caller's cancellation, ends the call at once.
    /// </summary>
    private ResiliencePipeline<Answer> BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder<Answer> { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<Answer>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                Delay = options.FirstRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = new PredicateBuilder<Answer>()
                    .HandleResult(answer => answer.Document is null)
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>(),
                OnRetry = args =>
                {
                    var failure = args.Outcome.Exception switch
                    {
                        HttpRequestException ex => $"could not be reached ({ex.HttpRequestError})",
                        TimeoutRejectedException => $"did not answer within {Seconds(options.AttemptTimeout)} s",
                        _ => $"answered {args.Outcome.Result?.Status}",
                    };
                    logger.LogWarning(
                        "MMS endpoint {Failure} to GET {Path}; attempt {Attempt} of {MaxAttempts}, retrying in {Delay}",
                        failure, args.Context.Properties.GetValue(PathKey, "?"), args.AttemptNumber + 1, options.MaxAttempts, args.RetryDelay);
                    return default;
                },
            });
        }

        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    private static bool IsRetried(int status) => status >= 500 || status == 429;

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private HttpRequestMessage SignedRequest(string firmId, Uri uri)
    {
        var date = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Add(VersionHeader, ContractVersion);
        request.Headers.Add(DateHeader, date);
        request.Headers.Add(SignatureHeader, Sign(key, "GET", uri.PathAndQuery, date));
        request.Headers.Add(FirmHeader, firmId);
        return request;
    }

    private async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > options.MaxResponseBytes)
        {
            throw new MmsUnavailableException($"The MMS endpoint's answer to GET {path} is larger than {options.MaxResponseBytes} bytes.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > options.MaxResponseBytes)
                {
                    throw new MmsUnavailableException($"The MMS endpoint's answer to GET {path} is larger than {options.MaxResponseBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }

            try
            {
                return JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            }
            catch (JsonException)
            {
                throw new MmsUnavailableException($"The MMS endpoint answered GET {path} with a body that is not JSON.");
            }
        }
    }

    private sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

    /// <summary>What one attempt got: a JSON document (status 200), or a status worth retrying.</summary>
    private sealed record Answer(int Status, JsonDocument? Document);

    /// <summary>One request through the pipeline, counting its attempts for the final message.</summary>
    private sealed class Call(string firmId, Uri uri)
    {
        public string FirmId { get; } = firmId;

        public Uri Uri { get; } = uri;

        public string Path { get; } = uri.AbsolutePath;

        public int Attempts { get; set; }
    }

    /// <summary>One row of an answer; every problem names the row, its number when known, and the field.</summary>
    private readonly struct Row(JsonElement element, string kind, int index)
    {
        public override string ToString() =>
            $"{kind} items[{index}]" + (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("number", out var n) && n.ValueKind == JsonValueKind.String
                ? $" ('{n.GetString()}')"
                : string.Empty);

        public MmsUnavailableException Invalid(string field, string reason) =>
            new($"The MMS endpoint answered an invalid row, {this}: {field} {reason}.");

        public string Number(string field) => Text(field, required: true, MaxNumberLength)!;

        public string? Text(string field, bool required, int maxLength = MaxNameLength)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new MmsUnavailableException($"The MMS endpoint answered an invalid row, {this}: not an object.");
            }

            if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return required ? throw Invalid(field, "is missing") : null;
            }

            var text = value.ValueKind == JsonValueKind.String ? value.GetString()!.Trim() : throw Invalid(field, "is not a string");
            if (text.Length == 0 || text.Length > maxLength)
            {
                throw Invalid(field, $"must be 1 to {maxLength} characters");
            }

            return text;
        }

        /// <summary>An optional array of payment reference strings (what the MMS recorded the invoice's payments under).</summary>
        public IReadOnlyList<string> References(string field)
        {
            if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MmsInvoice.MaxPaymentReferences)
            {
                throw Invalid(field, $"must be an array of at most {MmsInvoice.MaxPaymentReferences} strings");
            }

            var references = new List<string>();
            foreach (var item in value.EnumerateArray())
            {
                var text = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim() : throw Invalid(field, "holds something that is not a string");
                if (text.Length is 0 or > MaxNumberLength)
                {
                    throw Invalid(field, $"holds a reference that is not 1 to {MaxNumberLength} characters");
                }

                references.Add(text);
            }

            return references;
        }

        public NodaTime.LocalDate Date(string field)
        {
            var text = Text(field, required: true, 10)!;
            var parsed = LocalDatePattern.Iso.Parse(text);
            return parsed.Success ? parsed.Value : throw Invalid(field, $"'{text}' is not a date in the form yyyy-MM-dd");
        }

        /// <summary>A decimal string in major units, converted to minor units exactly or not at all.</summary>
        public long Money(string field, string currency)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number)
            {
                throw Invalid(field, "is a JSON number; amounts must be decimal strings such as \"125.50\"");
            }

            var text = Text(field, required: true, 32)!;
            if (text.StartsWith('-'))
            {
                throw Invalid(field, $"'{text}' is negative");
            }

            if (!text.All(c => char.IsAsciiDigit(c) || c == '.') || text.Count(c => c == '.') > 1 || text[0] == '.' || text[^1] == '.'
                || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var major))
            {
                throw Invalid(field, $"'{text}' is not a decimal amount such as \"125.50\"");
            }

            return Currencies.TryToMinor(major, currency, out var minor)
                ? minor
                : throw Invalid(field, $"'{text}' has more decimals than {currency} allows ({Currencies.Exponent(currency)})");
        }
    }
}
