using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PayConnect.Payments;

namespace PayConnect.Infrastructure.Payments.Sandbox;

/// <summary>An event the sandbox produced, signed as Stripe signs webhook deliveries.</summary>
/// <param name="Id">The event id (<c>evt_…</c>).</param>
/// <param name="Type">The Stripe event type (<c>refund.created</c>, <c>charge.dispute.closed</c>, ...).</param>
/// <param name="Payload">The body to POST to <c>/api/gateway/sandbox/events</c>.</param>
/// <param name="Signature">The <c>Stripe-Signature</c> header for it.</param>
public sealed record SandboxEvent(string Id, string Type, string Payload, string Signature);

/// <summary>Money the sandbox moved after a charge: into (positive) or out of (negative) an account.</summary>
public sealed record SandboxMovement(string AccountId, Money Amount, string What);

/// <summary>A refund the sandbox made.</summary>
public sealed record SandboxRefund(string RefundId, string ChargeId, Money Amount, string? Key, string Status);

/// <summary>
/// Money after the charge in the sandbox (docs/money-after-the-charge.md), moved as Stripe moves it for destination
/// charges and reported as Stripe reports it: every refund, dispute, settlement and return produces the Stripe-format
/// event (the same JSON objects, signed with the webhook secret as <c>t=…,v1=HMAC-SHA256(secret, "t.payload")</c>), so
/// the local event endpoint reads exactly what it would read from Stripe. Dev-only endpoints of the dev host trigger the
/// dashboard-side ones (a refund started in the dashboard, a dispute opened/won/lost, an ACH debit settled or returned).
/// </summary>
public sealed partial class SandboxPaymentGateway
{
    /// <summary>The secret the sandbox signs with when none is configured; local only, never Stripe's.</summary>
    public const string DevelopmentWebhookSecret = "whsec_sandbox_local_development_only";

    /// <summary>The sandbox's stand-in for the platform's own balance in <see cref="SandboxMovement"/>.</summary>
    public const string PlatformAccount = "platform";

    /// <summary>The dispute fee the sandbox charges (Stripe's is 15.00 USD).</summary>
    public const long DisputeFeeMinor = 1500;

    private readonly List<SandboxMovement> movements = [];
    private readonly List<SandboxRefund> refunds = [];
    private readonly List<SandboxEvent> events = [];
    private readonly Dictionary<string, (string Id, long Amount, string Status, string? Reason)> disputes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChargebackRecoveryResult> recoveries = new(StringComparer.Ordinal);
    private int eventCount;

    /// <summary>What the sandbox signs its events with.</summary>
    public string WebhookSecret { get; }

    /// <summary>Every event produced so far, in order.</summary>
    public IReadOnlyList<SandboxEvent> Events
    {
        get
        {
            lock (gate)
            {
                return events.ToArray();
            }
        }
    }

    /// <summary>Every refund made so far.</summary>
    public IReadOnlyList<SandboxRefund> Refunds
    {
        get
        {
            lock (gate)
            {
                return refunds.ToArray();
            }
        }
    }

    /// <summary>Every movement of money after a charge (refund reversals, dispute debits, recoveries), in order.</summary>
    public IReadOnlyList<SandboxMovement> Movements
    {
        get
        {
            lock (gate)
            {
                return movements.ToArray();
            }
        }
    }

    public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate)
        {
            if (refunds.FirstOrDefault(r => r.Key == request.IdempotencyKey) is { } earlier)
            {
                return earlier.ChargeId == request.ChargeId && earlier.Amount == request.Amount
                    ? Task.FromResult(new RefundResult(earlier.RefundId, GatewayRefundStatus.Succeeded))
                    : throw new IdempotencyKeyReusedException($"Idempotency key '{request.IdempotencyKey}' was used for a different refund.");
            }

            var refund = RefundLocked(request.ChargeId, request.Amount.Minor, request.IdempotencyKey);
            logger.LogInformation("Sandbox refund {RefundId} of {ChargeId}: {Amount}", refund.RefundId, request.ChargeId, request.Amount);
            return Task.FromResult(new RefundResult(refund.RefundId, GatewayRefundStatus.Succeeded));
        }
    }

    public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Operating.IsTrust)
        {
            throw new InvalidOperationException("A chargeback is never recovered from a trust account.");
        }

        lock (gate)
        {
            if (recoveries.TryGetValue(request.IdempotencyKey, out var earlier))
            {
                return Task.FromResult(earlier);
            }

            var charge = Charge(request.ChargeId);
            var operating = request.Operating.ConnectedAccountId ?? StandInAccountId(request.Operating.BankAccountId);
            var reversed = new Money(0, request.Disputed.Currency);
            var debit = request.Fee;
            if (request.ChargedInto.IsTrust)
            {
                // The trust account keeps the client's money; operating pays the chargeback and its fee.
                debit = request.Disputed + request.Fee;
            }
            else
            {
                // The operating charge's own transfer is reversed for the disputed amount.
                movements.Add(new SandboxMovement(charge.ConnectedAccountId, Negated(request.Disputed), $"transfer reversal for dispute {request.DisputeId}"));
                movements.Add(new SandboxMovement(PlatformAccount, request.Disputed, $"transfer reversal for dispute {request.DisputeId}"));
                reversed = request.Disputed;
            }

            if (debit.Minor > 0)
            {
                movements.Add(new SandboxMovement(operating, Negated(debit), $"account debit for dispute {request.DisputeId}"));
                movements.Add(new SandboxMovement(PlatformAccount, debit, $"account debit for dispute {request.DisputeId}"));
            }

            var result = new ChargebackRecoveryResult("rcv_sandbox_" + Hash(request.IdempotencyKey), reversed, debit);
            recoveries[request.IdempotencyKey] = result;
            return Task.FromResult(result);
        }
    }

    /// <summary>Staff refunded the charge in the gateway's dashboard (all of what is left when <paramref name="amountMinor"/> is null).</summary>
    public SandboxEvent RefundInDashboard(string chargeId, long? amountMinor = null)
    {
        lock (gate)
        {
            var charge = Charge(chargeId);
            var left = charge.Amount.Minor - refunds.Where(r => r.ChargeId == chargeId).Sum(r => r.Amount.Minor);
            RefundLocked(chargeId, amountMinor ?? left, key: null);
            return events[^1];
        }
    }

    /// <summary>The payer's card issuer disputes the charge (what was not refunded, unless given): <c>charge.dispute.created</c>.</summary>
    public SandboxEvent OpenDispute(string chargeId, long? amountMinor = null, string reason = "fraudulent")
    {
        lock (gate)
        {
            var charge = Charge(chargeId);
            if (!disputes.TryGetValue(chargeId, out var dispute))
            {
                // Stripe disputes what was not refunded.
                var unrefunded = charge.Amount.Minor - refunds.Where(r => r.ChargeId == chargeId).Sum(r => r.Amount.Minor);
                dispute = ("dp_sandbox_" + Hash(chargeId), amountMinor ?? unrefunded, "needs_response", reason);
                disputes[chargeId] = dispute;

                // Stripe takes the disputed amount and its fee from the platform when the dispute opens.
                movements.Add(new SandboxMovement(PlatformAccount, Negated(new Money(dispute.Amount + DisputeFeeMinor, charge.Amount.Currency)), $"dispute {dispute.Id} opened"));
            }

            return DisputeEvent("charge.dispute.created", charge, dispute);
        }
    }

    /// <summary>The dispute is decided: <c>charge.dispute.closed</c> with status <c>won</c> or <c>lost</c>.</summary>
    public SandboxEvent CloseDispute(string chargeId, bool won)
    {
        lock (gate)
        {
            var charge = Charge(chargeId);
            if (!disputes.TryGetValue(chargeId, out var dispute))
            {
                OpenDispute(chargeId);
                dispute = disputes[chargeId];
            }

            if (dispute.Status == "needs_response")
            {
                dispute = dispute with { Status = won ? "won" : "lost" };
                disputes[chargeId] = dispute;
                if (won)
                {
                    // A won dispute gives the disputed amount back to the platform; the fee stays with Stripe.
                    movements.Add(new SandboxMovement(PlatformAccount, new Money(dispute.Amount, charge.Amount.Currency), $"dispute {dispute.Id} won"));
                }
            }

            return DisputeEvent("charge.dispute.closed", charge, dispute);
        }
    }

    /// <summary>The ACH debit settled: <c>payment_intent.succeeded</c>.</summary>
    public SandboxEvent SettleAch(string chargeId)
    {
        lock (gate)
        {
            var charge = Charge(chargeId);
            return Produce("payment_intent.succeeded", Intent(charge, "succeeded", null));
        }
    }

    /// <summary>The payer's bank returned the ACH debit with a NACHA code: <c>payment_intent.payment_failed</c>.</summary>
    public SandboxEvent ReturnAch(string chargeId, string returnCode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(returnCode);
        var code = returnCode.Trim().ToUpperInvariant();
        lock (gate)
        {
            var charge = Charge(chargeId);
            // The debit never lands: the deposit account does not keep it.
            movements.Add(new SandboxMovement(charge.ConnectedAccountId, Negated(charge.Amount), $"ACH return {code}"));
            var error = new JsonObject
            {
                ["type"] = "invalid_request_error",
                ["code"] = "payment_method_provider_decline",
                ["decline_code"] = StripeDeclineCodeOf(code),
                ["network_decline_code"] = code,
                ["message"] = $"The customer's bank returned the debit ({code}).",
            };
            return Produce("payment_intent.payment_failed", Intent(charge, "requires_payment_method", error));
        }
    }

    /// <summary>Stripe's decline code for a NACHA return code (docs.stripe.com/declines/network-codes).</summary>
    public static string StripeDeclineCodeOf(string returnCode) => returnCode switch
    {
        "R01" or "R09" => "insufficient_funds",
        "R02" => "bank_account_closed",
        "R03" or "R04" => "bank_account_invalid_details",
        "R05" or "R07" or "R08" or "R10" or "R11" or "R29" or "R31" => "debit_not_authorized",
        "R15" => "recipient_deceased",
        "R16" => "bank_account_frozen",
        _ => "generic_decline",
    };

    /// <summary>Signs <paramref name="payload"/> as Stripe does: <c>t={unix seconds},v1={hex HMAC-SHA256 of "t.payload"}</c>.</summary>
    public static string Sign(string payload, string secret, long unixSeconds)
    {
        var t = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + payload));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    private SandboxRefund RefundLocked(string chargeId, long amountMinor, string? key)
    {
        var charge = Charge(chargeId);
        var left = charge.Amount.Minor - refunds.Where(r => r.ChargeId == chargeId).Sum(r => r.Amount.Minor);
        if (amountMinor <= 0 || amountMinor > left)
        {
            throw new RefundRefusedException($"Refund of {amountMinor} is more than the {left} left of charge {chargeId}.");
        }

        if (disputes.ContainsKey(chargeId))
        {
            throw new RefundRefusedException($"Charge {chargeId} is disputed and cannot be refunded.");
        }

        var amount = new Money(amountMinor, charge.Amount.Currency);
        var refund = new SandboxRefund("re_sandbox_" + Hash(key ?? (chargeId + "#" + refunds.Count)), chargeId, amount, key, "succeeded");
        refunds.Add(refund);

        // Destination charge refunded with reverse_transfer: the deposit account gives back exactly the refund.
        movements.Add(new SandboxMovement(charge.ConnectedAccountId, Negated(amount), $"transfer reversal for refund {refund.RefundId}"));
        var json = new JsonObject
        {
            ["id"] = refund.RefundId,
            ["object"] = "refund",
            ["amount"] = amountMinor,
            ["currency"] = charge.Amount.Currency.ToLowerInvariant(),
            ["charge"] = "ch_" + charge.ChargeId[3..],
            ["payment_intent"] = charge.ChargeId,
            ["status"] = refund.Status,
            ["reason"] = "requested_by_customer",
            ["created"] = Now(),
            ["metadata"] = key is null ? new JsonObject() : new JsonObject { [RefundRequest.MetadataKey] = key },
        };
        Produce("refund.created", json);
        return refund;
    }

    private SandboxEvent DisputeEvent(string type, SandboxCharge charge, (string Id, long Amount, string Status, string? Reason) dispute) =>
        Produce(type, new JsonObject
        {
            ["id"] = dispute.Id,
            ["object"] = "dispute",
            ["amount"] = dispute.Amount,
            ["currency"] = charge.Amount.Currency.ToLowerInvariant(),
            ["charge"] = "ch_" + charge.ChargeId[3..],
            ["payment_intent"] = charge.ChargeId,
            ["status"] = dispute.Status,
            ["reason"] = dispute.Reason,
            ["created"] = Now(),
            ["is_charge_refundable"] = false,
            ["livemode"] = false,
            ["metadata"] = new JsonObject(),
            ["balance_transactions"] = new JsonArray(new JsonObject
            {
                ["id"] = "txn_" + Hash(dispute.Id),
                ["object"] = "balance_transaction",
                ["amount"] = -(dispute.Amount + DisputeFeeMinor),
                ["fee"] = DisputeFeeMinor,
                ["net"] = -(dispute.Amount + DisputeFeeMinor),
                ["currency"] = charge.Amount.Currency.ToLowerInvariant(),
                ["type"] = "adjustment",
                ["created"] = Now(),
            }),
        });

    private JsonObject Intent(SandboxCharge charge, string status, JsonObject? error) => new()
    {
        ["id"] = charge.ChargeId,
        ["object"] = "payment_intent",
        ["amount"] = charge.Amount.Minor,
        ["currency"] = charge.Amount.Currency.ToLowerInvariant(),
        ["status"] = status,
        ["payment_method_types"] = new JsonArray(charge.Rail == PaymentRail.Ach ? "us_bank_account" : "card"),
        ["created"] = Now(),
        ["livemode"] = false,
        ["metadata"] = new JsonObject { ["run_key"] = charge.RunKey, ["idempotency_key"] = charge.IdempotencyKey },
        ["last_payment_error"] = error,
    };

    private SandboxEvent Produce(string type, JsonObject data)
    {
        var id = "evt_sandbox_" + (++eventCount).ToString("D6", CultureInfo.InvariantCulture) + Hash(type + data.ToJsonString())[..8];
        var now = Now();
        var json = new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = global::Stripe.StripeConfiguration.ApiVersion,
            ["created"] = now,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
            ["data"] = new JsonObject { ["object"] = data },
        }.ToJsonString();
        var produced = new SandboxEvent(id, type, json, Sign(json, WebhookSecret, now));
        events.Add(produced);
        return produced;
    }

    private SandboxCharge Charge(string chargeId) =>
        charges.FirstOrDefault(c => c.ChargeId == chargeId) ?? throw new KeyNotFoundException($"The sandbox made no charge {chargeId}.");

    private long Now() => clock.GetCurrentInstant().ToUnixTimeSeconds();

    private static Money Negated(Money money) => new(checked(-money.Minor), money.Currency);

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
}
