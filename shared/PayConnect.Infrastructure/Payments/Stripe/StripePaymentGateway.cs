using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PayConnect.Payments;
using Stripe;

namespace PayConnect.Infrastructure.Payments.Stripe;

/// <summary>
/// Charges through Stripe: one PaymentIntent per charge, created with <c>confirm=true</c> and <c>off_session=true</c>
/// on the Customer and PaymentMethod of a <see cref="StripePaymentMethodToken"/> (<c>cus_…|pm_…</c>), with the
/// request's idempotency key as Stripe's <c>Idempotency-Key</c>.
/// <para>
/// Stripe.net's own network retries are off (<c>maxNetworkRetries: 0</c>): every failure surfaces at once as a
/// <see cref="GatewayUnavailableException"/> and the run handler retries it (durably, across redeliveries) with the
/// same key, so nothing is hidden inside the SDK and the tests see exactly the requests that were made.
/// </para>
/// <para>Outcome mapping:</para>
/// <list type="bullet">
/// <item>200 <c>succeeded</c> → approved; <c>processing</c> (ACH) → approved with settlement pending.</item>
/// <item>200 <c>requires_action</c> → hard decline <c>authentication_required</c> (the payer must be present);
/// any other status → hard decline <c>unexpected_status_…</c>.</item>
/// <item>402 <c>card_error</c> → decline; soft or hard by <see cref="StripeDeclineClassifier"/>.</item>
/// <item>409 / <c>idempotency_key_in_use</c> (a request with the same key still running) → <see cref="GatewayUnavailableException"/>.</item>
/// <item>other <c>idempotency_error</c> (the key was used with other parameters) → <see cref="IdempotencyKeyReusedException"/>.</item>
/// <item>429, 5xx, 401/403 (key misconfigured, nothing charged),
/// timeouts and network errors → <see cref="GatewayUnavailableException"/>.</item>
/// <item>other 4xx <c>invalid_request_error</c> (detached or missing payment method, amount too small…) → hard
/// decline with Stripe's error code: nothing was charged and repeating the request cannot change that.</item>
/// <item>a token not in the <c>cus_…|pm_…</c> form → hard decline <c>invalid_payment_method_token</c>, no request.</item>
/// </list>
/// The destination bank account id travels as metadata <c>destination_bank_account_id</c>; routing money to the
/// right (trust or operating) account is configured in Stripe, not per request.
/// </summary>
public sealed class StripePaymentGateway : IPaymentGateway
{
    /// <summary>How long one request may take before its outcome counts as unknown.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly PaymentIntentService paymentIntents;
    private readonly ILogger logger;

    /// <param name="options">Needs <see cref="GatewayOptions.StripeApiKey"/>; <see cref="GatewayOptions.StripeApiBase"/> is optional.</param>
    /// <param name="httpClient">A long-lived client; its <see cref="HttpClient.Timeout"/> bounds each request.</param>
    /// <param name="logger">Logs outcomes, never tokens or keys.</param>
    public StripePaymentGateway(GatewayOptions options, HttpClient httpClient, ILogger<StripePaymentGateway>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.StripeApiKey);

        var client = new StripeClient(new StripeClientOptions
        {
            ApiKey = options.StripeApiKey,
            ApiBase = string.IsNullOrWhiteSpace(options.StripeApiBase) ? null : options.StripeApiBase.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(httpClient, maxNetworkRetries: 0, appInfo: null, enableTelemetry: false),
        });
        paymentIntents = new PaymentIntentService(client);
        this.logger = logger ?? NullLogger<StripePaymentGateway>.Instance;
    }

    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!StripePaymentMethodToken.TryParse(request.PaymentMethodToken, out var token))
        {
            logger.LogWarning("Stripe charge {IdempotencyKey} for run {RunKey} has a malformed payment method token", request.IdempotencyKey, request.RunKey);
            return new ChargeDeclined(
                "invalid_payment_method_token",
                "The saved payment method is not a Stripe customer|payment method pair.",
                DeclineKind.Hard);
        }

        PaymentIntent intent;
        try
        {
            intent = await paymentIntents.CreateAsync(
                CreateOptions(request, token),
                new RequestOptions { IdempotencyKey = request.IdempotencyKey },
                cancellationToken).ConfigureAwait(false);
        }
        catch (StripeException e)
        {
            return MapError(request, e);
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning(e, "Stripe charge {IdempotencyKey} for run {RunKey}: network error", request.IdempotencyKey, request.RunKey);
            throw new GatewayUnavailableException("Stripe could not be reached; the charge may or may not have been made.", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Stripe charge {IdempotencyKey} for run {RunKey}: timed out", request.IdempotencyKey, request.RunKey);
            throw new GatewayUnavailableException("Stripe did not answer in time; the charge may or may not have been made.", e);
        }

        var result = MapIntent(intent);
        logger.LogInformation(
            "Stripe charge {IdempotencyKey} for run {RunKey}: intent {PaymentIntentId} is {Status}",
            request.IdempotencyKey,
            request.RunKey,
            intent.Id,
            intent.Status);
        return result;
    }

    /// <summary>Searches PaymentIntents by the idempotency key every charge carries in its metadata.</summary>
    public async Task<ChargeApproved?> FindChargeAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        StripeSearchResult<PaymentIntent> found;
        try
        {
            found = await paymentIntents.SearchAsync(
                new PaymentIntentSearchOptions { Query = $"metadata['idempotency_key']:'{idempotencyKey.Replace("'", "\\'", StringComparison.Ordinal)}'" },
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StripeException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning(e, "Stripe search for charge {IdempotencyKey} failed", idempotencyKey);
            throw new GatewayUnavailableException("Stripe could not say whether the charge was made.", e);
        }

        var intent = found.Data.FirstOrDefault(i => i.Status is "succeeded" or "processing");
        return intent is null ? null : (ChargeApproved)MapIntent(intent);
    }

    private static PaymentIntentCreateOptions CreateOptions(ChargeRequest request, StripePaymentMethodToken token)
    {
        var metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal)
        {
            ["run_key"] = request.RunKey,
            ["idempotency_key"] = request.IdempotencyKey,
            ["destination_bank_account_id"] = request.DestinationBankAccountId,
        };

        return new PaymentIntentCreateOptions
        {
            Amount = request.Amount.Minor,
            Currency = request.Amount.Currency.ToLowerInvariant(),
            Customer = token.CustomerId,
            PaymentMethod = token.PaymentMethodId,
            Confirm = true,
            OffSession = true,
            // Server-side confirmation cannot follow a redirect; methods that need one are declined instead.
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true, AllowRedirects = "never" },
            Description = request.Description,
            Metadata = metadata,
        };
    }

    private static ChargeResult MapIntent(PaymentIntent intent)
    {
        var amount = new Money(intent.Amount, intent.Currency.ToUpperInvariant());
        return intent.Status switch
        {
            "succeeded" => new ChargeApproved(intent.Id, amount),
            "processing" => new ChargeApproved(intent.Id, amount) { SettlementPending = true },
            "requires_action" => new ChargeDeclined(
                "authentication_required",
                "The payment needs the payer to authenticate; an off-session charge cannot.",
                DeclineKind.Hard),
            "requires_payment_method" when intent.LastPaymentError is { } error => Decline(error),
            _ => new ChargeDeclined(
                "unexpected_status_" + intent.Status,
                $"Stripe left the payment in status '{intent.Status}'.",
                DeclineKind.Hard),
        };
    }

    private ChargeResult MapError(ChargeRequest request, StripeException e)
    {
        var error = e.StripeError;
        var status = (int)e.HttpStatusCode;
        logger.LogWarning(
            "Stripe charge {IdempotencyKey} for run {RunKey}: HTTP {StatusCode} {ErrorType} {ErrorCode} {DeclineCode}",
            request.IdempotencyKey,
            request.RunKey,
            status,
            error?.Type,
            error?.Code,
            error?.DeclineCode);

        // 409: another request with this key is still executing (idempotency_key_in_use) — its result will be
        // replayed to a later retry with the same key. Checked first so that case is never taken for misuse.
        if (status == 409 || error?.Code == "idempotency_key_in_use")
        {
            throw new GatewayUnavailableException("Stripe is still processing a request with this idempotency key; retry it later.", e);
        }

        if (error?.Type == "idempotency_error")
        {
            throw new IdempotencyKeyReusedException($"Stripe refused idempotency key '{request.IdempotencyKey}': {error.Message}", e);
        }

        if (error?.Type == "card_error")
        {
            return Decline(error);
        }

        if (status is 401 or 403 or 429 or >= 500 || status == 0 || error is null)
        {
            throw new GatewayUnavailableException($"Stripe answered HTTP {status}; the charge may or may not have been made.", e);
        }

        // Other 4xx invalid_request_error: Stripe refused before charging and would refuse again.
        return new ChargeDeclined(error.Code ?? error.Type ?? "invalid_request", error.Message ?? "Stripe refused the request.", DeclineKind.Hard);
    }

    private static ChargeDeclined Decline(StripeError error)
    {
        var code = error.DeclineCode ?? error.Code ?? "card_declined";
        return new ChargeDeclined(code, error.Message ?? "The payment was declined.", StripeDeclineClassifier.Classify(code, error.AdviceCode));
    }
}
