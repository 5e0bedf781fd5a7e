using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PayConnect.Notifications;

namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// Sends email through the Azure Communication Services Email REST API (api-version 2023-03-31): a signed
/// <c>POST /emails:send</c> with a deterministic Operation-Id, then signed polls of the operation until it ends.
/// See docs/decisions/0003-hand-written-acs-email-client.md.
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

    private readonly HttpClient http;
    private readonly AcsEmailOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<AcsEmailSender> logger;
    private readonly AcsRequestSigner signer;
    private readonly string endpoint;

    public AcsEmailSender(HttpClient httpClient, IOptions<AcsEmailOptions> options, TimeProvider timeProvider, ILogger<AcsEmailSender> logger)
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

        signer = AcsRequestSigner.FromAccessKey(this.options.AccessKey);
        endpoint = this.options.Endpoint!.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    public async Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var operationId = AcsOperationId.For(message.MessageId);
        var body = JsonSerializer.SerializeToUtf8Bytes(ToRequest(message), Json);

        // A string, not new Uri(base, "emails:send"): as a relative reference "emails:" would parse as a scheme.
        var sendUri = new Uri($"{endpoint}/emails:send?api-version={ApiVersion}");
        using var response = await SendWithRetriesAsync(
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
                return final ?? await PollAsync(operationId, RetryAfter(response), cancellationToken);
            }

            case HttpStatusCode.Conflict:
                // Our Operation-Id is already known to the service: an earlier attempt of this notification got through.
                logger.LogInformation("ACS already knows operation {OperationId} of email {MessageId}; polling it", operationId, message.MessageId);
                return await PollAsync(operationId, TimeSpan.Zero, cancellationToken);

            case HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity:
            {
                var error = await ReadErrorAsync(response, cancellationToken);
                logger.LogWarning("ACS rejected email {MessageId}: {Status} {ErrorCode}", message.MessageId, (int)response.StatusCode, error.Code);
                return EmailSendResult.Rejected(error.Code ?? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), error.Message ?? "Rejected by ACS.", operationId.ToString());
            }

            default:
            {
                // 401/403/404 and the like are our configuration (key, endpoint, sender domain), not the message:
                // keep the message so it goes out once the configuration is fixed.
                var error = await ReadErrorAsync(response, cancellationToken);
                throw new EmailTransientException(
                    $"ACS answered {(int)response.StatusCode} ({error.Code ?? "no error code"}) to emails:send; check the ACS endpoint, access key and sender domain.");
            }
        }
    }

    private async Task<EmailSendResult> PollAsync(Guid operationId, TimeSpan? firstDelay, CancellationToken cancellationToken)
    {
        var pollUri = new Uri($"{endpoint}/emails/operations/{operationId}?api-version={ApiVersion}");
        var deadline = time.GetUtcNow() + options.PollTimeout;
        var delay = firstDelay;
        while (true)
        {
            var wait = Clamp(delay ?? options.DefaultPollInterval, options.MaxPollInterval);
            if (time.GetUtcNow() + wait > deadline)
            {
                throw new EmailTransientException(
                    $"ACS operation {operationId} had not finished after {options.PollTimeout}; a resend will present the same Operation-Id.", wait);
            }

            await Task.Delay(wait, time, cancellationToken);

            using var response = await SendWithRetriesAsync(
                () => (new HttpRequestMessage(HttpMethod.Get, pollUri), ReadOnlyMemory<byte>.Empty),
                operationId,
                cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var error = await ReadErrorAsync(response, cancellationToken);
                throw new EmailTransientException(
                    $"ACS answered {(int)response.StatusCode} ({error.Code ?? "no error code"}) to the status query of operation {operationId}.");
            }

            var status = await ReadJsonAsync<OperationStatus>(response, cancellationToken)
                ?? throw new EmailTransientException($"ACS returned an empty status for operation {operationId}.");
            var final = Interpret(status, operationId);
            if (final is not null)
            {
                return final;
            }

            delay = RetryAfter(response);
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
                if (TransientErrorMarkers.Any(m => code.Contains(m, StringComparison.OrdinalIgnoreCase)))
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

    /// <summary>
    /// Sends a freshly signed request, retrying 408/429/5xx and network failures up to MaxAttempts, waiting what the
    /// service asks (retry-after-ms, x-ms-retry-after-ms, Retry-After) or an exponential backoff. Returns any other answer.
    /// </summary>
    private async Task<HttpResponseMessage> SendWithRetriesAsync(
        Func<(HttpRequestMessage Request, ReadOnlyMemory<byte> Body)> build, Guid operationId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            string failure;
            Exception? exception = null;
            var (request, body) = build();
            using (request)
            {
                signer.Sign(request, body.Span, time.GetUtcNow());
                try
                {
                    var response = await http.SendAsync(request, cancellationToken);
                    if (!IsRetryable(response.StatusCode))
                    {
                        return response;
                    }

                    retryAfter = RetryAfter(response);
                    failure = $"HTTP {(int)response.StatusCode}";
                    response.Dispose();
                }
                catch (HttpRequestException e)
                {
                    exception = e;
                    failure = "network failure";
                }
                catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    exception = e;
                    failure = "timeout";
                }
            }

            if (attempt >= options.MaxAttempts)
            {
                throw new EmailTransientException(
                    $"ACS {request.Method} for operation {operationId} still failing after {attempt} attempts ({failure}).", retryAfter, exception);
            }

            var delay = retryAfter ?? Backoff(attempt);
            if (delay > options.MaxRetryDelay)
            {
                throw new EmailTransientException(
                    $"ACS asked to wait {delay} ({failure}) for operation {operationId}, longer than one call waits.", delay, exception);
            }

            logger.LogWarning(
                "ACS {Method} for operation {OperationId} got {Failure}; attempt {Attempt} of {MaxAttempts}, retrying in {Delay}",
                request.Method, operationId, failure, attempt, options.MaxAttempts, delay);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private TimeSpan Backoff(int attempt)
    {
        var exponential = options.InitialBackoff * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.8 + (0.4 * Random.Shared.NextDouble()));
        return Clamp(jittered, options.MaxRetryDelay);
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan max) =>
        value < TimeSpan.Zero ? TimeSpan.Zero : value > max ? max : value;

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
            { Date: { } date } => Clamp(date - time.GetUtcNow(), TimeSpan.MaxValue),
            _ => null,
        };
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
