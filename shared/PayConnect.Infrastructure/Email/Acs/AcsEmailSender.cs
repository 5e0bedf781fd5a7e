using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PayConnect.Notifications;
using Polly;
using Polly.Retry;

namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// Sends email through the Azure Communication Services Email REST API (api-version 2023-03-31).
/// <list type="number">
/// <item>Every send, first or resend, starts by reading the notification's current operation
/// (<c>GET /emails/operations/{id}</c>): a running one is followed, a succeeded one is done, a failed or canceled one
/// moves to the next resend generation (a new Operation-Id derived from the MessageId), and only an operation id the
/// service does not know (404) is posted (<c>POST /emails:send</c>).</item>
/// <item>After the 202 the client follows <c>Operation-Location</c> (on the endpoint's own host) and waits at least the
/// <c>retry-after</c> the service asks for between polls.</item>
/// <item>Each HTTP call is retried by a Polly pipeline on 408/429/5xx and network failures, honouring
/// <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c> and <c>Retry-After</c>; a wait longer than
/// <see cref="AcsEmailOptions.MaxRetryDelay"/> hands the retry to the outbox instead.</item>
/// </list>
/// Requests carry the managed identity's Entra token, or an HMAC signature locally (<see cref="AcsAuthorization"/>).
/// See docs/decisions/0003-hand-written-acs-email-client.md and 0018-acs-email-by-managed-identity.md.
/// </summary>
public sealed class AcsEmailSender : IEmailSender
{
    public const string ApiVersion = "2023-03-31";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    // Operation error codes that name a passing condition; any other Failed operation is final for this message.
    private static readonly string[] TransientErrorMarkers =
        ["Throttl", "TooManyRequests", "ServiceUnavailable", "InternalServerError", "Timeout", "TimedOut", "Transient", "Temporar"];

    private static readonly ResiliencePropertyKey<string> FailureKey = new("acs.failure");

    private readonly HttpClient http;
    private readonly AcsEmailOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<AcsEmailSender> logger;
    private readonly AcsAuthorization authorization;
    private readonly ResiliencePipeline<HttpResponseMessage> retries;
    private readonly string endpoint;
    private readonly string endpointAuthority;

    /// <param name="authorization">How requests are authorized; when null, the access key of <paramref name="options"/> (local and tests).</param>
    public AcsEmailSender(
        HttpClient httpClient,
        IOptions<AcsEmailOptions> options,
        TimeProvider timeProvider,
        ILogger<AcsEmailSender> logger,
        AcsAuthorization? authorization = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        http = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        this.options = options.Value;
        time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));

        var problems = this.options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("ACS email is misconfigured: " + string.Join(" ", problems));
        }

        this.authorization = authorization
            ?? (this.options.UsesAccessKey
                ? AcsAuthorization.FromAccessKey(this.options.AccessKey)
                : throw new InvalidOperationException("ACS email needs an Entra token credential, or an access key locally."));
        endpoint = this.options.Endpoint!.GetLeftPart(UriPartial.Path).TrimEnd('/');
        endpointAuthority = this.options.Endpoint!.GetLeftPart(UriPartial.Authority);
        retries = BuildRetryPipeline();
    }

    public async Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = JsonSerializer.SerializeToUtf8Bytes(ToRequest(message), Json);

        for (var generation = 0; generation <= options.MaxResendGenerations; generation++)
        {
            var operationId = AcsOperationId.For(message.MessageId, generation);
            var statusUri = StatusUri(operationId);
            var (existing, retryAfter) = await GetStatusAsync(statusUri, operationId, cancellationToken);
            switch (existing?.Status)
            {
                case null:
                    return await PostAndFollowAsync(message, operationId, body, cancellationToken);

                case "Succeeded":
                    logger.LogInformation("ACS operation {OperationId} of email {MessageId} had already succeeded", operationId, message.MessageId);
                    return EmailSendResult.Sent(operationId.ToString());

                case "Failed" when !IsTransientFailure(existing):
                    return Interpret(existing, operationId)!;

                case "Failed" or "Canceled":
                    // Presenting this id again would only return the finished operation: start the next generation.
                    logger.LogWarning(
                        "ACS operation {OperationId} of email {MessageId} ended {Status} ({ErrorCode}); resending as generation {Generation}",
                        operationId, message.MessageId, existing.Status, existing.Error?.Code, generation + 1);
                    continue;

                default:
                    logger.LogInformation("ACS operation {OperationId} of email {MessageId} is {Status}; following it", operationId, message.MessageId, existing.Status);
                    return await PollAsync(statusUri, operationId, retryAfter, cancellationToken);
            }
        }

        logger.LogWarning("Email {MessageId} failed in {Count} ACS operations; giving up", message.MessageId, options.MaxResendGenerations + 1);
        return EmailSendResult.Rejected(
            "ResendLimitReached",
            $"ACS failed or canceled {options.MaxResendGenerations + 1} operations for this email.",
            AcsOperationId.For(message.MessageId, options.MaxResendGenerations).ToString());
    }

    private async Task<EmailSendResult> PostAndFollowAsync(EmailMessage message, Guid operationId, byte[] body, CancellationToken cancellationToken)
    {
        // A string, not new Uri(base, "emails:send"): as a relative reference "emails:" would parse as a scheme.
        var sendUri = new Uri($"{endpoint}/emails:send?api-version={ApiVersion}");
        using var response = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, sendUri) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add("Operation-Id", operationId.ToString());
                request.Headers.Add("x-ms-client-request-id", Guid.NewGuid().ToString());
                return (request, body);
            },
            operationId,
            cancellationToken);

        switch (response.StatusCode)
        {
            case HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.Created:
            {
                var accepted = await ReadJsonAsync<OperationStatus>(response, cancellationToken);
                logger.LogInformation("ACS accepted email {MessageId} as operation {OperationId}", message.MessageId, operationId);
                var final = accepted is null ? null : Interpret(accepted, operationId);
                return final ?? await PollAsync(OperationLocation(response, operationId), operationId, RetryAfter(response), cancellationToken);
            }

            case HttpStatusCode.Conflict:
                // Another sender posted this Operation-Id between our read and our post: follow that operation.
                logger.LogInformation("ACS already knows operation {OperationId} of email {MessageId}; polling it", operationId, message.MessageId);
                return await PollAsync(StatusUri(operationId), operationId, null, cancellationToken);

            case HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity:
            {
                var error = await ReadErrorAsync(response, cancellationToken);
                logger.LogWarning("ACS rejected email {MessageId}: {Status} {ErrorCode}", message.MessageId, (int)response.StatusCode, error.Code);
                return EmailSendResult.Rejected(error.Code ?? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), error.Message ?? "Rejected by ACS.", operationId.ToString());
            }

            default:
                throw await ConfigurationOrTransientAsync(response, "emails:send", cancellationToken);
        }
    }

    /// <summary>The operation's status and the retry-after that came with it; null status when the service does not know the id.</summary>
    private async Task<(OperationStatus? Status, TimeSpan? RetryAfter)> GetStatusAsync(Uri statusUri, Guid operationId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => (new HttpRequestMessage(HttpMethod.Get, statusUri), ReadOnlyMemory<byte>.Empty), operationId, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (null, null);
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw await ConfigurationOrTransientAsync(response, $"the status query of operation {operationId}", cancellationToken);
        }

        var status = await ReadJsonAsync<OperationStatus>(response, cancellationToken)
            ?? throw new EmailTransientException($"ACS returned an empty status for operation {operationId}.");
        return (status, RetryAfter(response));
    }

    private async Task<EmailSendResult> PollAsync(Uri statusUri, Guid operationId, TimeSpan? firstDelay, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + options.PollTimeout;
        var delay = firstDelay;
        while (true)
        {
            // retry-after is a minimum: never poll sooner than the service asked.
            var wait = delay is { } asked && asked > TimeSpan.Zero ? asked : options.DefaultPollInterval;
            if (time.GetUtcNow() + wait > deadline)
            {
                throw new EmailTransientException(
                    $"ACS operation {operationId} had not finished within {options.PollTimeout}; the resend will find it by its id and keep following it.", wait);
            }

            await Task.Delay(wait, time, cancellationToken);

            var (status, retryAfter) = await GetStatusAsync(statusUri, operationId, cancellationToken);
            if (status is null)
            {
                throw new EmailTransientException($"ACS no longer knows operation {operationId}; the resend will post it again.");
            }

            var final = Interpret(status, operationId);
            if (final is not null)
            {
                return final;
            }

            delay = retryAfter;
        }
    }

    /// <summary>The result of a terminal status, null while the operation is still going.</summary>
    private EmailSendResult? Interpret(OperationStatus status, Guid operationId)
    {
        switch (status.Status)
        {
            case "Succeeded":
                logger.LogInformation("ACS operation {OperationId} succeeded", operationId);
                return EmailSendResult.Sent(operationId.ToString());

            case "Failed":
            {
                var code = status.Error?.Code ?? "Failed";
                var detail = status.Error?.Message ?? "ACS reported the send operation as failed.";
                if (IsTransientFailure(status))
                {
                    throw new EmailTransientException($"ACS operation {operationId} failed with {code}: {detail}");
                }

                logger.LogWarning("ACS operation {OperationId} failed with {ErrorCode}", operationId, code);
                return EmailSendResult.Rejected(code, detail, operationId.ToString());
            }

            case "Canceled":
                throw new EmailTransientException($"ACS operation {operationId} was canceled before the email was sent.");

            default:
                return null;
        }
    }

    private static bool IsTransientFailure(OperationStatus status) =>
        status.Status == "Failed"
        && TransientErrorMarkers.Any(m => (status.Error?.Code ?? "Failed").Contains(m, StringComparison.OrdinalIgnoreCase));

    private Uri StatusUri(Guid operationId) => new($"{endpoint}/emails/operations/{operationId}?api-version={ApiVersion}");

    /// <summary>
    /// The Operation-Location the service returned, when it is on the endpoint's own host (a token is never sent
    /// elsewhere); otherwise the documented status URL.
    /// </summary>
    private Uri OperationLocation(HttpResponseMessage response, Guid operationId)
    {
        var location = response.Headers.TryGetValues("Operation-Location", out var values) ? values.FirstOrDefault() : null;
        if (location is not null && Uri.TryCreate(location, UriKind.Absolute, out var uri)
            && string.Equals(uri.GetLeftPart(UriPartial.Authority), endpointAuthority, StringComparison.OrdinalIgnoreCase))
        {
            return uri;
        }

        if (location is not null)
        {
            logger.LogWarning("ACS returned an Operation-Location off the endpoint's host for operation {OperationId}; polling the documented URL", operationId);
        }

        return StatusUri(operationId);
    }

    /// <summary>Sends a freshly authorized request through the retry pipeline; returns the final answer.</summary>
    private async Task<HttpResponseMessage> SendAsync(
        Func<(HttpRequestMessage Request, ReadOnlyMemory<byte> Body)> build, Guid operationId, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(FailureKey, operationId.ToString());
        try
        {
            var outcome = await retries.ExecuteOutcomeAsync(
                async (ctx, state) =>
                {
                    var (request, body) = state();
                    using (request)
                    {
                        try
                        {
                            await authorization.AuthorizeAsync(request, body, time.GetUtcNow(), ctx.CancellationToken);
                            return Outcome.FromResult(await http.SendAsync(request, ctx.CancellationToken));
                        }
                        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                        {
                            return Outcome.FromException<HttpResponseMessage>(e);
                        }
                    }
                },
                context,
                build);

            if (outcome.Exception is { } exception)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new EmailTransientException(
                    $"ACS request for operation {operationId} still failing after {options.MaxAttempts} attempts ({exception.GetType().Name}).", null, exception);
            }

            var response = outcome.Result!;
            if (IsRetryable(response.StatusCode))
            {
                var retryAfter = RetryAfter(response);
                var status = (int)response.StatusCode;
                response.Dispose();
                throw new EmailTransientException(
                    retryAfter > options.MaxRetryDelay
                        ? $"ACS asked to wait {retryAfter} (HTTP {status}) for operation {operationId}, longer than one call waits."
                        : $"ACS answered HTTP {status} for operation {operationId} after {options.MaxAttempts} attempts.",
                    retryAfter);
            }

            return response;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildRetryPipeline()
    {
        if (options.MaxAttempts <= 1)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }

        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxAttempts - 1,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException or TaskCanceledException } => !args.Context.CancellationToken.IsCancellationRequested,
                    { Result: { } response } => IsRetryable(response.StatusCode) && !(RetryAfter(response) > options.MaxRetryDelay),
                    _ => false,
                }),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    args.Outcome.Result is { } response && RetryAfter(response) is { } asked ? asked : Backoff(args.AttemptNumber + 1)),
                OnRetry = args =>
                {
                    var failure = args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : args.Outcome.Exception?.GetType().Name ?? "failure";
                    logger.LogWarning(
                        "ACS call for operation {OperationId} got {Failure}; attempt {Attempt} of {MaxAttempts}, retrying in {Delay}",
                        args.Context.Properties.GetValue(FailureKey, "?"), failure, args.AttemptNumber + 1, options.MaxAttempts, args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private TimeSpan Backoff(int attempt)
    {
        var exponential = options.InitialBackoff * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.8 + (0.4 * Random.Shared.NextDouble()));
        return jittered > options.MaxRetryDelay ? options.MaxRetryDelay : jittered;
    }

    /// <summary>The wait the service asked for: retry-after-ms and x-ms-retry-after-ms first, then Retry-After (seconds or date).</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        foreach (var name in new[] { "retry-after-ms", "x-ms-retry-after-ms" })
        {
            if (response.Headers.TryGetValues(name, out var values)
                && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            {
                return TimeSpan.FromMilliseconds(ms);
            }
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero,
            _ => null,
        };
    }

    /// <summary>
    /// 401/403/404 and the like are our configuration (identity, role assignment, endpoint, sender domain), not the
    /// message: keep the message so it goes out once the configuration is fixed.
    /// </summary>
    private static async Task<EmailTransientException> ConfigurationOrTransientAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var error = await ReadErrorAsync(response, cancellationToken);
        return new EmailTransientException(
            $"ACS answered {(int)response.StatusCode} ({error.Code ?? "no error code"}) to {what}; check the ACS endpoint, the identity's role on the resource (or the local access key) and the sender domain.");
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return string.IsNullOrWhiteSpace(text) ? null : JsonSerializer.Deserialize<T>(text, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<ErrorDetail> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await ReadJsonAsync<ErrorResponse>(response, cancellationToken);
        var headerCode = response.Headers.TryGetValues("x-ms-error-code", out var codes) ? codes.FirstOrDefault() : null;
        var message = body?.Error?.Message;
        return new ErrorDetail(body?.Error?.Code ?? headerCode, message is { Length: > 500 } ? message[..500] : message);
    }

    private SendRequest ToRequest(EmailMessage message) => new(
        options.SenderAddress,
        new Recipients(message.To.Select(a => new Mailbox(a.Address, a.DisplayName)).ToArray()),
        new Content(message.Subject, message.PlainText, message.Html.Length > 0 ? message.Html : null),
        UserEngagementTrackingDisabled: true);

    private sealed record SendRequest(string SenderAddress, Recipients Recipients, Content Content, bool UserEngagementTrackingDisabled);

    private sealed record Recipients(Mailbox[] To);

    private sealed record Mailbox(string Address, string? DisplayName);

    private sealed record Content(string Subject, string PlainText, string? Html);

    private sealed record OperationStatus(string? Id, string? Status, ErrorDetail? Error);

    private sealed record ErrorResponse(ErrorDetail? Error);

    private sealed record ErrorDetail(string? Code, string? Message);
}
