using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PayConnect.Payments;
using Stripe;

namespace PayConnect.Infrastructure.Payments.Stripe;

/// <summary>
/// Charges through Stripe Connect: one destination charge per charge, a PaymentIntent created on the platform with
/// <c>confirm=true</c> and <c>off_session=true</c> on the Customer and PaymentMethod of a <see cref="StripePaymentMethodToken"/>
/// (<c>cus_…|pm_…</c>, both living on the platform), <c>on_behalf_of</c> and <c>transfer_data[destination]</c> the deposit
/// account's connected account (the whole amount is transferred; Stripe's fee is debited from the platform), and the
/// request's idempotency key as Stripe's <c>Idempotency-Key</c>. Operating charges may carry the platform's
/// <c>application_fee_amount</c>; trust charges never do. See docs/decisions/0015-deposit-routing-destination-charges.md.
/// <para>
/// Stripe.net's own network retries are off (<c>maxNetworkRetries: 0</c>): every failure surfaces at once and the run
/// handler retries it (durably, across redeliveries) with the same key, so nothing is hidden inside the SDK and the
/// tests see exactly the requests that were made.
/// </para>
/// <para>Outcome mapping (docs/payments/decline-codes.md):</para>
/// <list type="bullet">
/// <item>200 <c>succeeded</c> → approved; <c>processing</c> (ACH) → approved with settlement pending.</item>
/// <item>200 <c>requires_action</c> with next action <c>verify_with_microdeposits</c> → hard decline
/// <c>ach_verification_pending</c>; any other <c>requires_action</c> → hard decline <c>authentication_required</c>;
/// any other status → hard decline <c>unexpected_status_…</c>.</item>
/// <item>402 <c>card_error</c> → decline; soft or hard by <see cref="StripeDeclineClassifier"/>.</item>
/// <item>409 / <c>idempotency_key_in_use</c> → <see cref="GatewayUnavailableException"/> (retry the same key later).</item>
/// <item>other <c>idempotency_error</c> → <see cref="IdempotencyKeyReusedException"/>.</item>
/// <item>401/403 → <see cref="GatewayConfigurationException"/>: nothing was charged and only an operator can fix it.</item>
/// <item>429, 5xx, timeouts and network errors → <see cref="GatewayUnavailableException"/>; a 5xx that Stripe marks
/// <c>Stripe-Should-Retry: false</c> or replays (<c>Idempotent-Replayed: true</c>) sets
/// <see cref="GatewayUnavailableException.LookUpBeforeRetry"/>: the same key would only replay it.</item>
/// <item>other 4xx <c>invalid_request_error</c> → hard decline with Stripe's error code.</item>
/// <item>a malformed token → hard decline <c>invalid_payment_method_token</c>; an ACH method without mandate → hard
/// decline <c>ach_mandate_missing</c>; a deposit account without connected account →
/// <see cref="GatewayConfigurationException"/>; none of them sends a request.</item>
/// </list>
/// </summary>
public sealed class StripePaymentGateway : IPaymentGateway
{
    /// <summary>How long one request may take before its outcome counts as unknown.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How far before the run's allocation the lookup starts listing: our clock and Stripe's may disagree, and an
    /// earlier start can only add intents of the same customer that do not carry the key.
    /// </summary>
    public static readonly TimeSpan LookupClockSkew = TimeSpan.FromHours(1);

    /// <summary>Logged (at error) when a lookup finds the same key on more than one approved charge.</summary>
    public static readonly EventId DuplicateChargeEvent = new(4601, "DuplicateCharge");

    /// <summary>Logged (at error) when Stripe refuses our key (401/403) or a deposit account has no connected account.</summary>
    public static readonly EventId ConfigurationEvent = new(4602, "GatewayConfiguration");

    private readonly PaymentIntentService paymentIntents;
    private readonly RefundService refunds;
    private readonly TransferReversalService transferReversals;
    private readonly ChargeService charges;
    private readonly PlatformFeeSchedule fees;
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
        refunds = new RefundService(client);
        transferReversals = new TransferReversalService(client);
        charges = new ChargeService(client);
        fees = options.Fees();
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

        if (request.DepositAccount.ConnectedAccountId is null)
        {
            logger.LogError(
                ConfigurationEvent,
                "Stripe charge {IdempotencyKey} for run {RunKey}: bank account {BankAccountId} ({Kind}) has no Stripe connected account; nothing charged",
                request.IdempotencyKey,
                request.RunKey,
                request.DestinationBankAccountId,
                request.DepositAccount.Kind);
            throw new GatewayConfigurationException(
                $"Bank account {request.DestinationBankAccountId} has no Stripe connected account id; set it before charging into it.");
        }

        if (request.Rail == PaymentRail.Ach && request.MandateId is null)
        {
            logger.LogWarning("Stripe ACH charge {IdempotencyKey} for run {RunKey} has no mandate; not sent", request.IdempotencyKey, request.RunKey);
            return new ChargeDeclined(DeclineCodes.AchMandateMissing, DeclineCodes.AchMandateMissingMessage, DeclineKind.Hard);
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

    /// <summary>
    /// Lists the customer's PaymentIntents created since the run's allocation (list endpoints are read-after-write
    /// consistent; Search is not) and keeps the approved ones whose metadata carries the key.
    /// </summary>
    public async Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        if (!StripePaymentMethodToken.TryParse(lookup.PaymentMethodToken, out var token))
        {
            // ChargeAsync never sends a request for such a token, so no charge can carry the key.
            return null;
        }

        var options = new PaymentIntentListOptions
        {
            Customer = token.CustomerId,
            Created = new DateRangeOptions { GreaterThanOrEqual = (lookup.AllocatedAt.ToDateTimeUtc() - LookupClockSkew) },
            Limit = 100,
        };

        var matches = new List<PaymentIntent>();
        try
        {
            await foreach (var intent in paymentIntents.ListAutoPagingAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (intent.Metadata is { } metadata
                    && metadata.TryGetValue("idempotency_key", out var key)
                    && string.Equals(key, lookup.IdempotencyKey, StringComparison.Ordinal)
                    && intent.Status is "succeeded" or "processing")
                {
                    matches.Add(intent);
                }
            }
        }
        catch (StripeException e) when ((int)e.HttpStatusCode is 401 or 403)
        {
            logger.LogError(ConfigurationEvent, e, "Stripe refused the lookup of charge {IdempotencyKey}: HTTP {StatusCode}", lookup.IdempotencyKey, (int)e.HttpStatusCode);
            throw new GatewayConfigurationException($"Stripe refused the API key (HTTP {(int)e.HttpStatusCode}).", e);
        }
        catch (Exception e) when (e is StripeException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning(e, "Stripe lookup of charge {IdempotencyKey} failed", lookup.IdempotencyKey);
            throw new GatewayUnavailableException("Stripe could not say whether the charge was made.", e);
        }

        if (matches.Count == 0)
        {
            return null;
        }

        var ordered = matches.OrderBy(i => i.Created).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
        var kept = (ChargeApproved)MapIntent(ordered[0]);
        if (ordered.Count > 1)
        {
            var duplicates = ordered.Skip(1).Select(i => i.Id).ToList();
            logger.LogError(
                DuplicateChargeEvent,
                "Charge {IdempotencyKey} was made {Count} times: keeping {PaymentIntentId}, refund {DuplicateIds}",
                lookup.IdempotencyKey,
                ordered.Count,
                kept.ChargeId,
                string.Join(",", duplicates));
            throw new DuplicateChargeException(
                $"{ordered.Count} approved charges carry idempotency key '{lookup.IdempotencyKey}'; keep {kept.ChargeId}, refund {string.Join(", ", duplicates)}.",
                kept,
                duplicates);
        }

        return kept;
    }

    /// <summary>
    /// Retrieves the PaymentIntent (<c>GET /v1/payment_intents/{id}</c>, docs.stripe.com/api/payment_intents/retrieve;
    /// Stripe.net <c>PaymentIntentService.GetAsync</c>) and reads the <c>run_key</c> every charge carries in its metadata
    /// (<see cref="CreateOptions"/>). Destination charges live on the platform, so no <c>Stripe-Account</c> header. An id
    /// Stripe does not know (404 <c>resource_missing</c>) or an intent without our key is not ours: null.
    /// </summary>
    public async Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(chargeId) || !chargeId.StartsWith("pi_", StringComparison.Ordinal) || chargeId.Length > 255
            || !chargeId.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            return null;
        }

        try
        {
            var intent = await paymentIntents.GetAsync(chargeId, cancellationToken: cancellationToken).ConfigureAwait(false);
            return intent.Metadata is { } metadata && metadata.TryGetValue("run_key", out var key) && !string.IsNullOrEmpty(key) ? key : null;
        }
        catch (StripeException e) when (e.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (StripeException e) when ((int)e.HttpStatusCode is 401 or 403)
        {
            logger.LogError(ConfigurationEvent, e, "Stripe refused the retrieval of PaymentIntent {PaymentIntentId}: HTTP {StatusCode}", chargeId, (int)e.HttpStatusCode);
            throw new GatewayConfigurationException($"Stripe refused the API key (HTTP {(int)e.HttpStatusCode}).", e);
        }
        catch (Exception e) when (e is StripeException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning(e, "Stripe retrieval of PaymentIntent {PaymentIntentId} failed", chargeId);
            throw new GatewayUnavailableException("Stripe could not say which run the charge belongs to.", e);
        }
    }

    /// <summary>
    /// A refund of the PaymentIntent with <c>reverse_transfer=true</c>: Stripe debits the platform for the refund and
    /// takes back from the destination account exactly the refunded amount ("reversed proportionally to the amount being
    /// refunded", Stripe.net <c>RefundCreateOptions.ReverseTransfer</c>) — from a trust account only the client's own money,
    /// never a fee. <c>refund_application_fee=false</c>: the platform keeps its operating fee, which pays Stripe's fee that
    /// Stripe does not return on refunds. Our key goes in the metadata so the refund's events find it.
    /// </summary>
    public async Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = new RefundCreateOptions
        {
            PaymentIntent = request.ChargeId,
            Amount = request.Amount.Minor,
            ReverseTransfer = true,
            RefundApplicationFee = false,
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [RefundRequest.MetadataKey] = request.IdempotencyKey,
                ["run_key"] = request.RunKey,
                ["deposit_account_kind"] = request.DepositAccount.Kind.ToString(),
            },
        };

        Refund refund;
        try
        {
            refund = await refunds.CreateAsync(options, new RequestOptions { IdempotencyKey = request.IdempotencyKey }, cancellationToken).ConfigureAwait(false);
        }
        catch (StripeException e)
        {
            throw Refusal(e, "refund " + request.IdempotencyKey, (error, message) => new RefundRefusedException(message, e));
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new GatewayUnavailableException("Stripe did not confirm the refund; ask again with the same key.", e);
        }

        logger.LogInformation("Stripe refund {RefundId} ({RefundKey}) of {PaymentIntentId}: {Status}", refund.Id, request.IdempotencyKey, request.ChargeId, refund.Status);
        return new RefundResult(refund.Id, refund.Status switch
        {
            "succeeded" => GatewayRefundStatus.Succeeded,
            "failed" => GatewayRefundStatus.Failed,
            "canceled" => GatewayRefundStatus.Canceled,
            _ => GatewayRefundStatus.Pending,
        });
    }

    /// <summary>
    /// Recovers a lost dispute from the firm's operating connected account (docs/decisions/0036-chargebacks-from-operating-and-ach-returns.md).
    /// Stripe debited the platform for the disputed amount and the fee ("for destination charges ... Stripe debits dispute
    /// amounts and fees from the platform account", docs.stripe.com/disputes/connect); the platform recovers them by
    /// reversing the charge's transfer when it went to operating, and by an account debit of the operating account
    /// (docs.stripe.com/connect/account-debits: a charge whose source is the connected account) for the fee, and for the
    /// whole chargeback when the charge went to trust: a trust transfer is never reversed for a dispute.
    /// </summary>
    public async Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Operating.IsTrust)
        {
            throw new InvalidOperationException("A chargeback is never recovered from a trust account.");
        }

        if (request.Operating.ConnectedAccountId is null)
        {
            logger.LogError(ConfigurationEvent, "Chargeback {DisputeId}: operating account {BankAccountId} has no Stripe connected account; nothing recovered", request.DisputeId, request.Operating.BankAccountId);
            throw new GatewayConfigurationException($"Operating account {request.Operating.BankAccountId} has no Stripe connected account id.");
        }

        var currency = request.Disputed.Currency;
        var reversed = new Money(0, currency);
        var debit = request.Fee;
        var ids = new List<string>();
        try
        {
            if (request.ChargedInto.IsTrust)
            {
                // Client money stays in trust: the whole chargeback comes from operating.
                debit = request.Disputed + request.Fee;
            }
            else if (request.Disputed.Minor > 0)
            {
                var intent = await paymentIntents.GetAsync(request.ChargeId, new PaymentIntentGetOptions { Expand = ["latest_charge"] }, cancellationToken: cancellationToken).ConfigureAwait(false);
                var transferId = intent.LatestCharge?.TransferId
                    ?? throw new GatewayConfigurationException($"Charge {request.ChargeId} has no transfer to reverse.");
                var reversal = await transferReversals.CreateAsync(
                    transferId,
                    new TransferReversalCreateOptions
                    {
                        Amount = request.Disputed.Minor,
                        RefundApplicationFee = false,
                        Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["dispute_id"] = request.DisputeId },
                    },
                    new RequestOptions { IdempotencyKey = request.IdempotencyKey + "/reversal" },
                    cancellationToken).ConfigureAwait(false);
                ids.Add(reversal.Id);
                reversed = request.Disputed;
            }

            if (debit.Minor > 0)
            {
                var charge = await charges.CreateAsync(
                    new ChargeCreateOptions
                    {
                        Amount = debit.Minor,
                        Currency = currency.ToLowerInvariant(),
                        Source = request.Operating.ConnectedAccountId,
                        Description = $"Chargeback {request.DisputeId}" + (request.ChargedInto.IsTrust ? " (disputed amount and fee)" : " (dispute fee)"),
                        Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["dispute_id"] = request.DisputeId, ["operating_bank_account_id"] = request.Operating.BankAccountId },
                    },
                    new RequestOptions { IdempotencyKey = request.IdempotencyKey + "/debit" },
                    cancellationToken).ConfigureAwait(false);
                ids.Add(charge.Id);
            }
        }
        catch (StripeException e)
        {
            throw Refusal(e, "chargeback recovery " + request.DisputeId, (_, message) => new GatewayConfigurationException("Stripe refused the chargeback recovery: " + message, e));
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new GatewayUnavailableException("Stripe did not confirm the chargeback recovery; ask again with the same key.", e);
        }

        return new ChargebackRecoveryResult(ids.Count == 0 ? "none" : string.Join("+", ids), reversed, debit);
    }

    /// <summary>What a Stripe error on a refund or recovery means: an outage to retry, bad credentials, or a refusal for good.</summary>
    private Exception Refusal(StripeException e, string what, Func<StripeError?, string, Exception> refused)
    {
        var status = (int)e.HttpStatusCode;
        logger.LogWarning("Stripe {What}: HTTP {StatusCode} {ErrorType} {ErrorCode}", what, status, e.StripeError?.Type, e.StripeError?.Code);
        if (status == 409 || e.StripeError?.Code == "idempotency_key_in_use" || status is 429 or >= 500 || status == 0)
        {
            return new GatewayUnavailableException($"Stripe answered HTTP {status} to the {what}; ask again with the same key.", e);
        }

        if (e.StripeError?.Type == "idempotency_error")
        {
            return new IdempotencyKeyReusedException($"Stripe refused the key of the {what}: {e.StripeError.Message}", e);
        }

        if (status is 401 or 403)
        {
            logger.LogError(ConfigurationEvent, "Stripe refused the API key or its permissions (HTTP {StatusCode}) for the {What}", status, what);
            return new GatewayConfigurationException($"Stripe answered HTTP {status}: the API key is missing, revoked or lacks permission.", e);
        }

        return refused(e.StripeError, e.StripeError?.Message ?? "Stripe refused it.");
    }

    private PaymentIntentCreateOptions CreateOptions(ChargeRequest request, StripePaymentMethodToken token)
    {
        var deposit = request.DepositAccount;
        var metadata = new Dictionary<string, string>(request.Metadata, StringComparer.Ordinal)
        {
            ["run_key"] = request.RunKey,
            ["idempotency_key"] = request.IdempotencyKey,
            ["destination_bank_account_id"] = deposit.BankAccountId,
            ["deposit_account_kind"] = deposit.Kind.ToString(),
        };

        var fee = fees.ApplicationFeeFor(deposit, request.Amount);
        if (deposit.IsTrust && fee.Minor != 0)
        {
            // PlatformFeeSchedule never does this; the check stays so that no change to it can reach trust money.
            throw new InvalidOperationException("A trust charge must never carry an application fee.");
        }

        return new PaymentIntentCreateOptions
        {
            Amount = request.Amount.Minor,
            Currency = request.Amount.Currency.ToLowerInvariant(),
            Customer = token.CustomerId,
            PaymentMethod = token.PaymentMethodId,
            // The method's own type, never automatic_payment_methods: a saved card is charged as a card, a saved bank
            // account as an ACH debit, whatever the connected account has enabled. Stripe.net 53 (API version
            // 2026-10-28.endive) names the create parameter allowed_payment_method_types (formerly payment_method_types).
            AllowedPaymentMethodTypes = [request.Rail == PaymentRail.Ach ? "us_bank_account" : "card"],
            Mandate = request.Rail == PaymentRail.Ach ? request.MandateId : null,
            Confirm = true,
            OffSession = true,
            // Destination charge: the connected account is the settlement merchant and receives the whole amount
            // (no transfer_data[amount]); Stripe debits its fee from the platform.
            OnBehalfOf = deposit.ConnectedAccountId,
            TransferData = new PaymentIntentTransferDataOptions { Destination = deposit.ConnectedAccountId },
            ApplicationFeeAmount = fee.Minor > 0 ? fee.Minor : null,
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
            "requires_action" when intent.NextAction?.Type == "verify_with_microdeposits" => new ChargeDeclined(
                DeclineCodes.AchVerificationPending,
                DeclineCodes.AchVerificationPendingMessage,
                DeclineKind.Hard),
            "requires_action" => new ChargeDeclined(
                DeclineCodes.AuthenticationRequired,
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
        var shouldRetry = Header(e, "Stripe-Should-Retry");
        var replayed = Header(e, "Idempotent-Replayed");
        logger.LogWarning(
            "Stripe charge {IdempotencyKey} for run {RunKey}: HTTP {StatusCode} {ErrorType} {ErrorCode} {DeclineCode} (should retry: {ShouldRetry}, replayed: {Replayed})",
            request.IdempotencyKey,
            request.RunKey,
            status,
            error?.Type,
            error?.Code,
            error?.DeclineCode,
            shouldRetry,
            replayed);

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

        if (status is 401 or 403)
        {
            logger.LogError(ConfigurationEvent, "Stripe refused the API key or its permissions (HTTP {StatusCode}); charge {IdempotencyKey} not made", status, request.IdempotencyKey);
            throw new GatewayConfigurationException($"Stripe answered HTTP {status}: the API key is missing, revoked or lacks permission. Nothing was charged.", e);
        }

        if (status is 429 or >= 500 || status == 0 || error is null)
        {
            // Stripe saves a key's first result once execution began, 500s included, and replays it: when it says not
            // to retry (or this already is the replay), the same key cannot tell us more than a lookup can.
            var lookUp = status >= 500
                && (string.Equals(shouldRetry, "false", StringComparison.OrdinalIgnoreCase) || string.Equals(replayed, "true", StringComparison.OrdinalIgnoreCase));
            throw new GatewayUnavailableException($"Stripe answered HTTP {status}; the charge may or may not have been made.", e) { LookUpBeforeRetry = lookUp };
        }

        // Other 4xx invalid_request_error: Stripe refused before charging and would refuse again.
        return new ChargeDeclined(error.Code ?? error.Type ?? "invalid_request", error.Message ?? "Stripe refused the request.", DeclineKind.Hard);
    }

    private static string? Header(StripeException e, string name) =>
        e.StripeResponse?.Headers is { } headers && headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static ChargeDeclined Decline(StripeError error)
    {
        var code = error.DeclineCode ?? error.Code ?? "card_declined";
        return new ChargeDeclined(code, error.Message ?? "The payment was declined.", StripeDeclineClassifier.Classify(code, error.AdviceCode));
    }
}
