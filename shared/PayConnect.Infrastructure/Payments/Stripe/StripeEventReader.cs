using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using PayConnect.Payments;
using Stripe;

namespace PayConnect.Infrastructure.Payments.Stripe;

/// <summary>
/// Reads Stripe webhook deliveries (docs/decisions/0035-gateway-events.md): the <c>Stripe-Signature</c> header is
/// checked with Stripe.net's <see cref="EventUtility.ConstructEvent(string, string, string, long, long, bool)"/> against
/// the endpoint's signing secret, with Stripe's 300-second tolerance measured on the injected clock; anything unsigned,
/// signed with another secret or too old is refused and changes nothing. The events PayConnect acts on:
/// <list type="bullet">
/// <item><c>refund.created</c>, <c>refund.updated</c>, <c>refund.failed</c>, <c>charge.refund.updated</c> (a Refund object):
/// <see cref="RefundChanged"/>, our key from the refund's metadata (<see cref="RefundRequest.MetadataKey"/>).</item>
/// <item><c>charge.dispute.*</c> (a Dispute): <see cref="DisputeChanged"/>. Stripe's statuses: <c>won</c>, <c>lost</c>
/// close it; <c>warning_closed</c> (an inquiry that never became a chargeback) and <c>prevented</c> close it with
/// nothing lost; every other status is open. The fee is what its balance transactions charged.</item>
/// <item><c>payment_intent.succeeded</c> of a <c>us_bank_account</c> PaymentIntent: <see cref="AchSettled"/>;
/// <c>payment_intent.payment_failed</c> of one: <see cref="AchReturned"/>, with the NACHA code from
/// <c>last_payment_error.network_decline_code</c>, or mapped from Stripe's decline code as Stripe's own table maps them
/// (docs.stripe.com/declines/network-codes: R01/R09 → insufficient_funds, R02 → bank_account_closed, R03/R04 →
/// bank_account_invalid_details, R05/R07/R08/R10/R11/R29/R31 → debit_not_authorized, R15 → recipient_deceased, R16 →
/// bank_account_frozen).</item>
/// </list>
/// Every other type is verified and acknowledged without effect. The PaymentIntent id is the charge id PayConnect keeps.
/// </summary>
public sealed class StripeEventReader(string gateway, string? secret, IClock clock, ILogger? logger = null) : IGatewayEventReader
{
    /// <summary>Stripe's default: an event signed more than five minutes ago (or ahead) is refused (replays).</summary>
    public const long ToleranceSeconds = 300;

    private readonly ILogger log = logger ?? NullLogger.Instance;

    public string Gateway { get; } = gateway;

    public GatewayEventRead Read(string payload, string? signature)
    {
        if (string.IsNullOrEmpty(secret))
        {
            log.LogError("A {Gateway} event arrived but no webhook secret is configured ({Setting}); refused", Gateway, "Gateway__WebhookSecret");
            return new GatewayEventRead.Refused("No webhook secret is configured.");
        }

        if (string.IsNullOrWhiteSpace(signature))
        {
            return new GatewayEventRead.Refused("The Stripe-Signature header is missing.");
        }

        Event stripeEvent;
        try
        {
            // Stripe signs events in the endpoint's API version, which may differ from Stripe.net's: read them anyway.
            stripeEvent = EventUtility.ConstructEvent(payload, signature, secret, ToleranceSeconds, clock.GetCurrentInstant().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException ex)
        {
            log.LogWarning("A {Gateway} event was refused: {Reason}", Gateway, ex.Message);
            return new GatewayEventRead.Refused("The signature does not match: " + ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or System.Text.Json.JsonException or Newtonsoft.Json.JsonException)
        {
            log.LogWarning("A signed {Gateway} event could not be read: {Reason}", Gateway, ex.Message);
            return new GatewayEventRead.Refused("The body is not a Stripe event.");
        }

        var at = Instant.FromDateTimeUtc(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc));
        return new GatewayEventRead.Verified(stripeEvent.Id, stripeEvent.Type, Map(stripeEvent, at));
    }

    /// <summary>The NACHA return code of a failed ACH PaymentIntent: the network's own code, or Stripe's decline code mapped back.</summary>
    public static string ReturnCode(StripeError? error)
    {
        if (error?.NetworkDeclineCode is { } raw && AchReturnCodes.IsReturnCode(raw.Trim().ToUpperInvariant()))
        {
            return raw.Trim().ToUpperInvariant();
        }

        return (error?.DeclineCode ?? error?.Code) switch
        {
            "insufficient_funds" => "R01",
            "bank_account_closed" or "account_closed" => "R02",
            "bank_account_invalid_details" or "no_account" or "invalid_account_number" => "R03",
            "debit_not_authorized" => "R10",
            "recipient_deceased" => "R15",
            "bank_account_frozen" or "account_frozen" => "R16",
            { Length: > 0 } other => other,
            _ => "unknown_return",
        };
    }

    private static GatewayEvent? Map(Event e, Instant at)
    {
        switch (e.Data?.Object)
        {
            case Refund refund when e.Type is EventTypes.RefundCreated or EventTypes.RefundUpdated or EventTypes.RefundFailed or EventTypes.ChargeRefundUpdated
                && !string.IsNullOrEmpty(refund.PaymentIntentId):
                var status = refund.Status switch
                {
                    "succeeded" => GatewayRefundStatus.Succeeded,
                    "failed" => GatewayRefundStatus.Failed,
                    "canceled" => GatewayRefundStatus.Canceled,
                    _ => GatewayRefundStatus.Pending,
                };
                return new RefundChanged(e.Id, refund.PaymentIntentId, at, refund.Id, new Money(refund.Amount, refund.Currency.ToUpperInvariant()), status,
                    refund.Metadata is { } metadata && metadata.TryGetValue(RefundRequest.MetadataKey, out var key) ? key : null);

            case Dispute dispute when e.Type.StartsWith("charge.dispute.", StringComparison.Ordinal) && !string.IsNullOrEmpty(dispute.PaymentIntentId):
                var closed = dispute.Status is "won" or "lost" or "warning_closed" or "prevented";
                var fee = Math.Max(0, dispute.BalanceTransactions?.Sum(t => t.Fee) ?? 0);
                var currency = dispute.Currency.ToUpperInvariant();
                return new DisputeChanged(e.Id, dispute.PaymentIntentId, at, dispute.Id, new Money(dispute.Amount, currency), closed, closed && dispute.Status != "lost", dispute.Reason, new Money(fee, currency));

            case PaymentIntent intent when IsBankDebit(intent) && e.Type == EventTypes.PaymentIntentSucceeded:
                return new AchSettled(e.Id, intent.Id, at);

            case PaymentIntent intent when IsBankDebit(intent) && e.Type == EventTypes.PaymentIntentPaymentFailed:
                return new AchReturned(e.Id, intent.Id, at, ReturnCode(intent.LastPaymentError));

            default:
                return null;
        }
    }

    private static bool IsBankDebit(PaymentIntent intent) => intent.PaymentMethodTypes?.Contains("us_bank_account") == true;
}
