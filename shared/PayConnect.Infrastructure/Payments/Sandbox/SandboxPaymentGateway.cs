using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PayConnect.Connect;
using PayConnect.Payments;

namespace PayConnect.Infrastructure.Payments.Sandbox;

/// <summary>
/// An in-memory gateway whose outcome is chosen by the payment method token, like card-network test cards.
/// The local default (<c>Gateway__Kind=Sandbox</c>) and the gateway of tests.
/// <list type="table">
/// <listheader><term>token</term><description>outcome</description></listheader>
/// <item><term><c>pm_sandbox_approve</c></term><description>approved (card)</description></item>
/// <item><term><c>pm_sandbox_ach_approve</c></term><description>approved, <see cref="ChargeApproved.SettlementPending"/> (ACH)</description></item>
/// <item><term><c>pm_sandbox_insufficient_funds</c></term><description>declined <c>insufficient_funds</c>, soft</description></item>
/// <item><term><c>pm_sandbox_processing_error</c></term><description>declined <c>processing_error</c>, soft</description></item>
/// <item><term><c>pm_sandbox_stolen_card</c></term><description>declined <c>stolen_card</c>, hard</description></item>
/// <item><term><c>pm_sandbox_lost_card</c></term><description>declined <c>lost_card</c>, hard</description></item>
/// <item><term><c>pm_sandbox_expired_card</c></term><description>declined <c>expired_card</c>, hard</description></item>
/// <item><term><c>pm_sandbox_authentication_required</c></term><description>declined <c>authentication_required</c>, hard (off-session)</description></item>
/// <item><term><c>pm_sandbox_ach_insufficient_funds</c></term><description>declined <c>R01</c>, soft</description></item>
/// <item><term><c>pm_sandbox_ach_account_closed</c></term><description>declined <c>R02</c>, hard</description></item>
/// <item><term><c>pm_sandbox_ach_verification_pending</c></term><description>declined <c>ach_verification_pending</c>, hard (micro-deposits not confirmed)</description></item>
/// <item><term><c>pm_sandbox_offline_pin_required</c></term><description>declined <c>offline_pin_required</c>, hard (off-session)</description></item>
/// <item><term><c>pm_sandbox_decline_rate_limited</c></term><description>declined <c>card_decline_rate_limit_exceeded</c>, soft (retried after more than a day)</description></item>
/// <item><term><c>pm_sandbox_timeout_after_charge</c></term><description>charges, then throws <see cref="GatewayUnavailableException"/> the first time per idempotency key; a retry with the key returns the recorded approval</description></item>
/// <item><term><c>pm_sandbox_unavailable</c></term><description>always throws <see cref="GatewayUnavailableException"/>, charges nothing</description></item>
/// </list>
/// A token may carry a suffix after a dot (<c>pm_sandbox_approve.payer-42</c>) to tell payers apart; the part before
/// the dot chooses the outcome. Any other token is a hard decline <c>sandbox_unknown_token</c>.
/// Idempotency works like Stripe's: the same key replays the first result (approval or decline) without charging
/// again; the same key with another amount, token, run, deposit account, rail, mandate, description or metadata throws
/// <see cref="IdempotencyKeyReusedException"/>. State lives in memory only: a restart forgets keys and charges.
/// Thread-safe.
/// <para>
/// Money moves as Stripe's destination charges move it (docs/decisions/0015-deposit-routing-destination-charges.md):
/// the deposit account's connected account receives the amount less the application fee (zero for trust), the
/// platform receives the application fee and pays the processing fee. <see cref="BalanceOf"/> and
/// <see cref="PlatformBalance"/> let tests see where money went. A deposit account without a connected account id
/// settles into a stand-in account (<see cref="StandInAccountId"/>) so local data without Stripe ids still works;
/// the Stripe gateway refuses such an account instead. The processing fee is a simple stand-in (3 % for cards,
/// 1 % capped at 500 minor units for ACH), not Stripe's price list.
/// </para>
/// </summary>
public sealed partial class SandboxPaymentGateway : IPaymentGateway
{
    public const string Approve = "pm_sandbox_approve";
    public const string AchApprove = "pm_sandbox_ach_approve";
    public const string InsufficientFunds = "pm_sandbox_insufficient_funds";
    public const string ProcessingError = "pm_sandbox_processing_error";
    public const string StolenCard = "pm_sandbox_stolen_card";
    public const string LostCard = "pm_sandbox_lost_card";
    public const string ExpiredCard = "pm_sandbox_expired_card";
    public const string AuthenticationRequired = "pm_sandbox_authentication_required";
    public const string AchInsufficientFunds = "pm_sandbox_ach_insufficient_funds";
    public const string AchAccountClosed = "pm_sandbox_ach_account_closed";
    public const string TimeoutAfterCharge = "pm_sandbox_timeout_after_charge";
    public const string Unavailable = "pm_sandbox_unavailable";
    public const string AchVerificationPending = "pm_sandbox_ach_verification_pending";
    public const string OfflinePinRequired = "pm_sandbox_offline_pin_required";
    public const string DeclineRateLimited = "pm_sandbox_decline_rate_limited";

    private static readonly Dictionary<string, ChargeDeclined> Declines = new(StringComparer.Ordinal)
    {
        [InsufficientFunds] = new("insufficient_funds", "Your card has insufficient funds.", DeclineKind.Soft),
        [ProcessingError] = new("processing_error", "An error occurred while processing your card. Try again later.", DeclineKind.Soft),
        [StolenCard] = new("stolen_card", "Your card was declined.", DeclineKind.Hard),
        [LostCard] = new("lost_card", "Your card was declined.", DeclineKind.Hard),
        [ExpiredCard] = new("expired_card", "Your card has expired.", DeclineKind.Hard),
        [AuthenticationRequired] = new("authentication_required", "Your card was declined. This transaction requires authentication.", DeclineKind.Hard),
        [AchInsufficientFunds] = AchReturnCodes.ToDecline("R01"),
        [AchAccountClosed] = AchReturnCodes.ToDecline("R02"),
        [AchVerificationPending] = new(DeclineCodes.AchVerificationPending, DeclineCodes.AchVerificationPendingMessage, DeclineKind.Hard),
        [OfflinePinRequired] = new("offline_pin_required", "The card was declined as it requires a PIN.", DeclineKind.Hard),
        [DeclineRateLimited] = new(DeclineCodes.CardDeclineRateLimitExceeded, "This card has been declined too many times. You can try to charge this card again after 24 hours.", DeclineKind.Soft),
    };

    private readonly object gate = new();
    private readonly Dictionary<string, Attempt> attempts = new(StringComparer.Ordinal);
    private readonly List<SandboxCharge> charges = [];
    private readonly ILogger logger;
    private readonly PlatformFeeSchedule fees;
    private readonly NodaTime.IClock clock;

    /// <param name="logger">Logs outcomes.</param>
    /// <param name="fees">The platform's fee on operating charges.</param>
    /// <param name="clock">Dates the events it produces (their signatures must be recent on the reader's clock).</param>
    /// <param name="webhookSecret">Signs the events it produces; <see cref="DevelopmentWebhookSecret"/> when none is configured.</param>
    public SandboxPaymentGateway(ILogger<SandboxPaymentGateway>? logger = null, PlatformFeeSchedule? fees = null, NodaTime.IClock? clock = null, string? webhookSecret = null)
    {
        this.logger = logger ?? NullLogger<SandboxPaymentGateway>.Instance;
        this.fees = fees ?? PlatformFeeSchedule.None;
        this.clock = clock ?? NodaTime.SystemClock.Instance;
        WebhookSecret = string.IsNullOrEmpty(webhookSecret) ? DevelopmentWebhookSecret : webhookSecret;
    }

    /// <summary>Every charge made so far, in order; one per idempotency key at most.</summary>
    public IReadOnlyList<SandboxCharge> Charges
    {
        get
        {
            lock (gate)
            {
                return charges.ToArray();
            }
        }
    }

    /// <summary>Every ChargeAsync call received, including replays and failures.</summary>
    public int CallCount { get; private set; }

    public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var behaviour = Behaviour(request.PaymentMethodToken);

        ChargeResult result;
        bool loseTheResponse;
        lock (gate)
        {
            CallCount++;
            if (attempts.TryGetValue(request.IdempotencyKey, out var previous))
            {
                if (!previous.Matches(request))
                {
                    throw new IdempotencyKeyReusedException(
                        $"Idempotency key '{request.IdempotencyKey}' was used for a different request.");
                }

                // A replay: the first result, even after pm_sandbox_timeout_after_charge lost its response.
                loseTheResponse = false;
                result = previous.Result;
            }
            else
            {
                if (behaviour == Unavailable)
                {
                    // Nothing reached the "processor": no result is saved, like Stripe before execution begins.
                    throw new GatewayUnavailableException("Sandbox gateway is unavailable (pm_sandbox_unavailable).");
                }

                result = Decide(request, behaviour);
                loseTheResponse = behaviour == TimeoutAfterCharge;
                attempts[request.IdempotencyKey] = new Attempt(request, result);
                if (result is ChargeApproved approved)
                {
                    charges.Add(new SandboxCharge(
                        approved.ChargeId,
                        request.IdempotencyKey,
                        request.RunKey,
                        request.Amount,
                        request.PaymentMethodToken,
                        request.DestinationBankAccountId,
                        request.Description)
                    {
                        DepositKind = request.DepositAccount.Kind,
                        ConnectedAccountId = request.DepositAccount.ConnectedAccountId ?? StandInAccountId(request.DestinationBankAccountId),
                        Rail = request.Rail,
                        MandateId = request.MandateId,
                        ApplicationFee = fees.ApplicationFeeFor(request.DepositAccount, request.Amount),
                        ProcessingFee = ProcessingFee(request.Rail, request.Amount),
                        SettlementPending = approved.SettlementPending,
                    });
                }
            }
        }

        if (loseTheResponse)
        {
            logger.LogInformation("Sandbox charged {IdempotencyKey} and is losing the response", request.IdempotencyKey);
            throw new GatewayUnavailableException("Sandbox gateway timed out after charging (pm_sandbox_timeout_after_charge).");
        }

        logger.LogInformation("Sandbox charge {IdempotencyKey} for run {RunKey}: {Outcome}", request.IdempotencyKey, request.RunKey, result.GetType().Name);
        return Task.FromResult(result);
    }

    public Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        lock (gate)
        {
            var charge = charges.FirstOrDefault(c => c.IdempotencyKey == lookup.IdempotencyKey);
            return Task.FromResult(charge is null ? null : new ChargeApproved(charge.ChargeId, charge.Amount) { SettlementPending = charge.SettlementPending });
        }
    }

    public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(charges.FirstOrDefault(c => c.ChargeId == chargeId)?.RunKey);
        }
    }

    /// <summary>
    /// What a connected account holds: Σ (amount − application fee) of the charges routed to it, less what was taken back
    /// from it (refunds' transfer reversals, chargeback recoveries, returned debits).
    /// </summary>
    public Money BalanceOf(string connectedAccountId, string currency)
    {
        lock (gate)
        {
            var received = charges
                .Where(c => c.ConnectedAccountId == connectedAccountId && c.Amount.Currency == currency)
                .Aggregate(new Money(0, currency), (sum, c) => sum + (c.Amount - c.ApplicationFee));
            return movements.Where(m => m.AccountId == connectedAccountId && m.Amount.Currency == currency).Aggregate(received, (sum, m) => sum + m.Amount);
        }
    }

    /// <summary>
    /// The platform's net: Σ application fees − Σ processing fees (destination charges debit Stripe's fee from the
    /// platform), plus or minus what refunds, disputes and their recoveries moved through it.
    /// </summary>
    public Money PlatformBalance(string currency)
    {
        lock (gate)
        {
            var net = charges
                .Where(c => c.Amount.Currency == currency)
                .Aggregate(new Money(0, currency), (sum, c) => sum + c.ApplicationFee - c.ProcessingFee);
            return movements.Where(m => m.AccountId == PlatformAccount && m.Amount.Currency == currency).Aggregate(net, (sum, m) => sum + m.Amount);
        }
    }

    /// <summary>The connected account a bank account without a Stripe id settles into, in the sandbox only.</summary>
    public static string StandInAccountId(string bankAccountId) =>
        "acct_sandbox" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(bankAccountId)))[..16];

    private static Money ProcessingFee(PaymentRail rail, Money amount)
    {
        var fee = rail == PaymentRail.Ach
            ? Math.Min(500, CeilingDivide(amount.Minor, 100))
            : CeilingDivide(checked(amount.Minor * 3), 100);
        return new Money(fee, amount.Currency);
    }

    private static long CeilingDivide(long value, long by) => (value / by) + (value % by == 0 ? 0 : 1);

    /// <summary>
    /// Forgets every idempotency key, as a real gateway does after a while (Stripe: 24 h); the charges remain.
    /// A later request with a forgotten key is a new charge, which is what <see cref="FindChargeAsync"/> guards.
    /// </summary>
    public void ForgetIdempotencyKeys()
    {
        lock (gate)
        {
            attempts.Clear();
        }
    }

    private static string Behaviour(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? token : token[..dot];
    }

    private static ChargeResult Decide(ChargeRequest request, string behaviour)
    {
        if (Declines.TryGetValue(behaviour, out var decline))
        {
            return decline;
        }

        return behaviour switch
        {
            Approve or TimeoutAfterCharge => new ChargeApproved(ChargeId(request.IdempotencyKey), request.Amount),
            AchApprove => new ChargeApproved(ChargeId(request.IdempotencyKey), request.Amount) { SettlementPending = true },
            _ => new ChargeDeclined("sandbox_unknown_token", "Unknown sandbox token; use one of the pm_sandbox_* tokens.", DeclineKind.Hard),
        };
    }

    // Derived from the key so the same key always names the same charge, even across sandbox restarts.
    private static string ChargeId(string idempotencyKey) =>
        "pi_sandbox_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..24];

    private sealed class Attempt(ChargeRequest request, ChargeResult result)
    {
        public ChargeResult Result { get; } = result;

        public bool Matches(ChargeRequest other) =>
            request.Amount == other.Amount
            && request.PaymentMethodToken == other.PaymentMethodToken
            && request.RunKey == other.RunKey
            && request.DepositAccount == other.DepositAccount
            && request.Rail == other.Rail
            && request.MandateId == other.MandateId
            && request.Description == other.Description
            && request.Metadata.Count == other.Metadata.Count
            && request.Metadata.All(kv => other.Metadata.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}

/// <summary>A charge the sandbox made, and where its money went.</summary>
public sealed record SandboxCharge(
    string ChargeId,
    string IdempotencyKey,
    string RunKey,
    Money Amount,
    string PaymentMethodToken,
    string DestinationBankAccountId,
    string? Description)
{
    public BankAccountKind DepositKind { get; init; }

    /// <summary>The connected account that received the money (the deposit account's, or its stand-in).</summary>
    public string ConnectedAccountId { get; init; } = string.Empty;

    public PaymentRail Rail { get; init; }

    public string? MandateId { get; init; }

    /// <summary>The platform's fee, taken from what the connected account receives; always zero for trust.</summary>
    public Money ApplicationFee { get; init; }

    /// <summary>The processor's fee, paid by the platform.</summary>
    public Money ProcessingFee { get; init; }

    public bool SettlementPending { get; init; }
}
