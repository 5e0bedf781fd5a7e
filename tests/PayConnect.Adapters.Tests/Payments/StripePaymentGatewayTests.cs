using NodaTime;
using PayConnect.Connect;
using PayConnect.Infrastructure.Payments;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

public sealed class StripePaymentGatewayTests : IAsyncLifetime
{
    private const string ApiKey = "sk_test_payconnect_fake_key";
    private const string RunKey = "firm-1/sched-9/2025-03-01";
    private const string Token = "cus_PayerOne|pm_1QxCardVisa";
    private const string AchToken = "cus_PayerOne|pm_1QxBankAcct";
    private const string OperatingAccount = "acct_1FirmOneOperating";
    private const string TrustAccount = "acct_1FirmOneTrust";
    private const string Mandate = "mandate_1QxAchMandate01";

    private static readonly DepositAccount Operating = new("bank-operating-1", BankAccountKind.Operating, OperatingAccount);
    private static readonly DepositAccount Trust = new("bank-trust-1", BankAccountKind.Trust, TrustAccount);

    // Allocated before the fake's first intent (StripeJson.Epoch), so the lookup's created[gte] covers them.
    private static readonly Instant AllocatedAt = Instant.FromUnixTimeSeconds(StripeJson.Epoch - 60);

    private FakeStripeServer server = null!;

    public async Task InitializeAsync() => server = await FakeStripeServer.StartAsync();

    // Every test also proves the requests kept Stripe's documented rules (FakeStripeServer.Violations).
    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Assert.Empty(server.Violations);
    }

    [Fact]
    public async Task Charge_Succeeded_IsApprovedAndSendsAnOffSessionConfirmedCardIntent()
    {
        var request = Request(amountMinor: 12_345, description: "Invoice 1001, 1002");

        var result = await Gateway().ChargeAsync(request, CancellationToken.None);

        var approved = Assert.IsType<ChargeApproved>(result);
        Assert.Equal((new Money(12_345, "USD"), false), (approved.Amount, approved.SettlementPending));
        var sent = Assert.Single(server.Requests);
        Assert.Equal("Bearer " + ApiKey, sent.Authorization);
        Assert.Equal(request.IdempotencyKey, sent.IdempotencyKey);
        Assert.StartsWith("application/x-www-form-urlencoded", sent.ContentType);
        Assert.Equal("12345", sent.Form["amount"]);
        Assert.Equal("usd", sent.Form["currency"]);
        Assert.Equal("true", sent.Form["confirm"]);
        Assert.Equal("true", sent.Form["off_session"]);
        Assert.Equal("cus_PayerOne", sent.Form["customer"]);
        Assert.Equal("pm_1QxCardVisa", sent.Form["payment_method"]);
        Assert.Equal("card", sent.Form["allowed_payment_method_types[0]"]);
        Assert.DoesNotContain(sent.Form.Keys, k => k.StartsWith("automatic_payment_methods", StringComparison.Ordinal));
        Assert.False(sent.Form.ContainsKey("mandate"));
        Assert.Equal(RunKey, sent.Form["metadata[run_key]"]);
        Assert.Equal(request.IdempotencyKey, sent.Form["metadata[idempotency_key]"]);
        Assert.Equal("bank-operating-1", sent.Form["metadata[destination_bank_account_id]"]);
        Assert.Equal("firm-1", sent.Form["metadata[firm_id]"]);
        Assert.Equal("Invoice 1001, 1002", sent.Form["description"]);
    }

    [Fact]
    public async Task Charge_IntoOperating_IsADestinationChargeOnBehalfOfTheOperatingAccountCarryingThePlatformFee()
    {
        await Gateway(feeBasisPoints: 290).ChargeAsync(Request(amountMinor: 12_345, deposit: Operating), CancellationToken.None);

        var sent = Assert.Single(server.Creates);
        Assert.Equal(OperatingAccount, sent.Form["on_behalf_of"]);
        Assert.Equal(OperatingAccount, sent.Form["transfer_data[destination]"]);
        Assert.False(sent.Form.ContainsKey("transfer_data[amount]"));
        Assert.Equal("359", sent.Form["application_fee_amount"]); // 2.90 % of 123.45, rounded up
        Assert.Equal("Operating", sent.Form["metadata[deposit_account_kind]"]);
        Assert.Empty(sent.StripeAccount ?? string.Empty);
    }

    [Fact]
    public async Task Charge_IntoTrust_TransfersTheWholeAmountToTheTrustAccountAndNeverCarriesAFee()
    {
        var result = await Gateway(feeBasisPoints: PlatformFeeSchedule.MaxBasisPoints).ChargeAsync(Request(amountMinor: 500_000, deposit: Trust), CancellationToken.None);

        Assert.IsType<ChargeApproved>(result);
        var sent = Assert.Single(server.Creates);
        Assert.Equal(TrustAccount, sent.Form["on_behalf_of"]);
        Assert.Equal(TrustAccount, sent.Form["transfer_data[destination]"]);
        Assert.DoesNotContain(sent.Form.Keys, k => k.Contains("fee", StringComparison.OrdinalIgnoreCase));
        Assert.False(sent.Form.ContainsKey("transfer_data[amount]"));
        Assert.Equal("Trust", sent.Form["metadata[deposit_account_kind]"]);
    }

    [Fact]
    public async Task Charge_EachDepositAccountRoutesToItsOwnConnectedAccount()
    {
        var gateway = Gateway(feeBasisPoints: 100);
        await gateway.ChargeAsync(Request(deposit: Operating, attempt: 1), CancellationToken.None);
        await gateway.ChargeAsync(Request(deposit: Trust, attempt: 2), CancellationToken.None);

        Assert.Equal([OperatingAccount, TrustAccount], server.Creates.Select(r => r.Form["transfer_data[destination]"]));
        Assert.Equal([true, false], server.Creates.Select(r => r.Form.ContainsKey("application_fee_amount")));
    }

    [Fact]
    public async Task Charge_DepositAccountWithoutConnectedAccount_IsAConfigurationErrorAndSendsNothing()
    {
        var unrouted = new DepositAccount("bank-trust-2", BankAccountKind.Trust, connectedAccountId: null);

        await Assert.ThrowsAsync<GatewayConfigurationException>(() => Gateway().ChargeAsync(Request(deposit: unrouted), CancellationToken.None));

        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Charge_Ach_IsAUsBankAccountDebitCarryingTheMandate()
    {
        server.ThenReply(r => new StripeReply(200, StripeJson.Intent(r, "processing")));

        var result = await Gateway().ChargeAsync(Request(token: AchToken, rail: PaymentRail.Ach, mandate: Mandate, deposit: Trust), CancellationToken.None);

        Assert.True(Assert.IsType<ChargeApproved>(result).SettlementPending);
        var sent = Assert.Single(server.Creates);
        Assert.Equal("us_bank_account", sent.Form["allowed_payment_method_types[0]"]);
        Assert.False(sent.Form.ContainsKey("allowed_payment_method_types[1]"));
        Assert.Equal(Mandate, sent.Form["mandate"]);
        Assert.Equal("pm_1QxBankAcct", sent.Form["payment_method"]);
        Assert.Equal("true", sent.Form["off_session"]);
    }

    [Fact]
    public async Task Charge_AchWithoutMandate_IsAHardDeclineAndSendsNothing()
    {
        var result = await Gateway().ChargeAsync(Request(token: AchToken, rail: PaymentRail.Ach, mandate: null), CancellationToken.None);

        Assert.Equal((DeclineCodes.AchMandateMissing, DeclineKind.Hard), Code(result));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Charge_AchAwaitingMicroDepositVerification_IsItsOwnHardDeclineTellingStaffWhatToDo()
    {
        server.ThenReply(r => new StripeReply(200, StripeJson.Intent(r, "requires_action", nextAction: StripeJson.VerifyWithMicrodeposits)));

        var result = await Gateway().ChargeAsync(Request(token: AchToken, rail: PaymentRail.Ach, mandate: Mandate), CancellationToken.None);

        var declined = Assert.IsType<ChargeDeclined>(result);
        Assert.Equal((DeclineCodes.AchVerificationPending, DeclineKind.Hard), (declined.Code, declined.Kind));
        Assert.Contains("micro-deposits", declined.Message);
        Assert.Contains("not be retried automatically", declined.Message);
    }

    [Fact]
    public async Task Charge_CardNeedingAuthentication_IsAHardAuthenticationDecline()
    {
        server.ThenReply(r => new StripeReply(200, StripeJson.Intent(r, "requires_action", nextAction: """{"type":"use_stripe_sdk","use_stripe_sdk":{}}""")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal((DeclineCodes.AuthenticationRequired, DeclineKind.Hard), Code(result));
    }

    [Fact]
    public async Task Charge_ZeroDecimalCurrency_SendsWholeUnitsInLowerCase()
    {
        await Gateway().ChargeAsync(Request(amountMinor: 5_000, currency: "JPY"), CancellationToken.None);

        var sent = Assert.Single(server.Requests);
        Assert.Equal(("5000", "jpy"), (sent.Form["amount"], sent.Form["currency"]));
    }

    [Fact]
    public async Task Charge_InsufficientFunds_IsASoftDecline()
    {
        server.ThenReply(new StripeReply(402, StripeJson.CardError("Your card has insufficient funds.", "insufficient_funds")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(new ChargeDeclined("insufficient_funds", "Your card has insufficient funds.", DeclineKind.Soft), result);
    }

    [Theory]
    [InlineData("stolen_card", null)]
    [InlineData("lost_card", null)]
    [InlineData("do_not_honor", "do_not_try_again")]
    [InlineData("insufficient_funds", "do_not_try_again")]
    [InlineData("authentication_required", null)]
    [InlineData("offline_pin_required", null)]
    [InlineData("online_or_offline_pin_required", null)]
    [InlineData("some_future_code", null)]
    public async Task Charge_HardDeclineOrHardAdvice_IsAHardDecline(string declineCode, string? adviceCode)
    {
        server.ThenReply(new StripeReply(402, StripeJson.CardError("Your card was declined.", declineCode, adviceCode: adviceCode)));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(new ChargeDeclined(declineCode, "Your card was declined.", DeclineKind.Hard), result);
    }

    [Fact]
    public async Task Charge_DeclinedTooManyTimesToday_IsASoftDeclineTheRetryPolicyDelaysPastADay()
    {
        const string message = "This card has been declined too many times. You can try to charge this card again after 24 hours.";
        server.ThenReply(new StripeReply(402, StripeJson.CardError(message, declineCode: null, code: DeclineCodes.CardDeclineRateLimitExceeded)));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(new ChargeDeclined(DeclineCodes.CardDeclineRateLimitExceeded, message, DeclineKind.Soft), result);
    }

    [Fact]
    public async Task Charge_ExpiredCardWithoutDeclineCode_IsAHardDeclineByErrorCode()
    {
        server.ThenReply(new StripeReply(402, StripeJson.CardError("Your card has expired.", declineCode: null, code: "expired_card")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(new ChargeDeclined("expired_card", "Your card has expired.", DeclineKind.Hard), result);
    }

    [Fact]
    public async Task Charge_ServerErrorBeforeExecution_IsUnavailableAndTheSameKeyGetsTheOutcome()
    {
        var gateway = Gateway();
        var request = Request();
        server.ThenReply(new StripeReply(503, StripeJson.Error("api_error", null, "Service unavailable"),
            Headers: new Dictionary<string, string> { ["Stripe-Should-Retry"] = "true" }));

        var first = await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(request, CancellationToken.None));
        var result = await gateway.ChargeAsync(request, CancellationToken.None);

        Assert.False(first.LookUpBeforeRetry);
        Assert.IsType<ChargeApproved>(result);
        Assert.Equal([request.IdempotencyKey, request.IdempotencyKey], server.Requests.Select(r => r.IdempotencyKey));
        Assert.Equal(server.Requests[0].Form, server.Requests[1].Form);
    }

    [Fact]
    public async Task Charge_ReplayedServerError_AsksForALookupAndTheConsistentListFindsTheCharge()
    {
        var gateway = Gateway();
        var request = Request(amountMinor: 7_500);
        string? madeCharge = null;
        // Stripe made the charge, then failed answering: the 500 is saved under the key and replayed from then on.
        server.ThenReply(r =>
        {
            madeCharge = server.Seed("cus_PayerOne", r.IdempotencyKey!, "succeeded", 7_500, StripeJson.Epoch);
            return new StripeReply(500, StripeJson.Error("api_error", null, "An unknown error occurred"),
                Headers: new Dictionary<string, string> { ["Stripe-Should-Retry"] = "false" }, Saved: true);
        });

        var first = await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(request, CancellationToken.None));
        var replay = await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(request, CancellationToken.None));
        var found = await gateway.FindChargeAsync(new ChargeLookup(request.IdempotencyKey, request.PaymentMethodToken, AllocatedAt), CancellationToken.None);

        Assert.True(first.LookUpBeforeRetry);
        Assert.True(replay.LookUpBeforeRetry);
        Assert.Equal(new ChargeApproved(madeCharge!, new Money(7_500, "USD")), found);
        var lookup = server.Requests[^1];
        Assert.Equal(("GET", "/v1/payment_intents"), (lookup.Method, lookup.Path));
        Assert.Equal("cus_PayerOne", lookup.Form["customer"]);
        Assert.Equal((AllocatedAt - Duration.FromHours(1)).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), lookup.Form["created[gte]"]);
        Assert.Equal($"Bearer {ApiKey}", lookup.Authorization);
        Assert.DoesNotContain(server.Requests, r => r.Path.Contains("search", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Charge_NoAnswerInTime_IsUnavailableAndTheRetryReusesTheKey()
    {
        var gateway = Gateway(timeout: TimeSpan.FromMilliseconds(300));
        var request = Request();
        server.ThenReply(r => new StripeReply(200, StripeJson.Intent(r, "succeeded"), Delay: TimeSpan.FromSeconds(5)));

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(request, CancellationToken.None));
        var result = await gateway.ChargeAsync(request, CancellationToken.None);

        Assert.IsType<ChargeApproved>(result);
        Assert.All(server.Requests, r => Assert.Equal(request.IdempotencyKey, r.IdempotencyKey));
    }

    [Fact]
    public async Task Charge_ServerUnreachable_IsUnavailable()
    {
        // Start the replacement first so the stopped server's port cannot be handed straight back to it.
        var stopped = server;
        server = await FakeStripeServer.StartAsync();
        var unreachable = stopped.BaseUrl;
        await stopped.DisposeAsync();

        var gateway = new StripePaymentGateway(
            new GatewayOptions { Kind = GatewayKind.Stripe, StripeApiKey = ApiKey, StripeApiBase = unreachable },
            new HttpClient { Timeout = TimeSpan.FromSeconds(5) });

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(Request(), CancellationToken.None));
    }

    [Fact]
    public async Task Charge_SameKeyStillInFlight_IsUnavailable()
    {
        server.ThenReply(new StripeReply(409, StripeJson.Error(
            "invalid_request_error",
            "idempotency_key_in_use",
            "There is currently another in-progress request using this Idempotent Key. Please try again later.")));

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => Gateway().ChargeAsync(Request(), CancellationToken.None));
    }

    [Fact]
    public async Task Charge_KeyReusedWithOtherParameters_IsAnIdempotencyError()
    {
        var gateway = Gateway();
        await gateway.ChargeAsync(Request(amountMinor: 100), CancellationToken.None);

        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => gateway.ChargeAsync(Request(amountMinor: 200), CancellationToken.None));
    }

    [Theory]
    [InlineData(401, "invalid_request_error")]
    [InlineData(403, "invalid_request_error")]
    public async Task Charge_NotAuthorized_IsAConfigurationErrorNotAnOutage(int status, string type)
    {
        server.ThenReply(new StripeReply(status, StripeJson.Error(type, null, "Invalid API Key provided: sk_test_****")));

        await Assert.ThrowsAsync<GatewayConfigurationException>(() => Gateway().ChargeAsync(Request(), CancellationToken.None));
    }

    [Fact]
    public async Task Charge_RateLimited_IsUnavailableWithoutLookup()
    {
        server.ThenReply(new StripeReply(429, StripeJson.Error("rate_limit_error", "rate_limit", "Too many requests.")));

        var error = await Assert.ThrowsAsync<GatewayUnavailableException>(() => Gateway().ChargeAsync(Request(), CancellationToken.None));

        Assert.False(error.LookUpBeforeRetry);
    }

    [Fact]
    public async Task Charge_PaymentMethodGone_IsAHardDecline()
    {
        server.ThenReply(new StripeReply(400, StripeJson.Error("invalid_request_error", "resource_missing", "No such PaymentMethod: 'pm_1QxCardVisa'")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(("resource_missing", DeclineKind.Hard), Code(result));
    }

    [Theory]
    [InlineData("pm_1QxCardVisa")]
    [InlineData("cus_A|pm_B|x")]
    [InlineData("pm_B|cus_A")]
    [InlineData("cus_A|")]
    [InlineData("pm_sandbox_approve")]
    public async Task Charge_MalformedToken_IsAHardDeclineWithoutCallingStripe(string token)
    {
        var result = await Gateway().ChargeAsync(Request(token: token), CancellationToken.None);

        Assert.Equal(DeclineKind.Hard, Assert.IsType<ChargeDeclined>(result).Kind);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void Token_ParsesCustomerAndPaymentMethod()
    {
        Assert.True(StripePaymentMethodToken.TryParse("cus_Abc123|pm_1Xyz", out var token));
        Assert.Equal(new StripePaymentMethodToken("cus_Abc123", "pm_1Xyz"), token);
        Assert.Equal("cus_Abc123|pm_1Xyz", token.ToString());
    }

    [Fact]
    public async Task FindCharge_AfterAnApprovedCharge_FindsItAtOnceByTheKeyInItsMetadata()
    {
        var request = Request();
        var charged = Assert.IsType<ChargeApproved>(await Gateway().ChargeAsync(request, CancellationToken.None));

        var found = await Gateway().FindChargeAsync(Lookup(request.IdempotencyKey), CancellationToken.None);

        Assert.Equal(charged, found);
    }

    [Fact]
    public async Task RunKeyOfCharge_ReadsTheRunKeyTheChargeCarries_FromThePlatformsPaymentIntent()
    {
        var charged = Assert.IsType<ChargeApproved>(await Gateway().ChargeAsync(Request(), CancellationToken.None));

        Assert.Equal(RunKey, await Gateway().RunKeyOfChargeAsync(charged.ChargeId, CancellationToken.None));
        var retrieve = Assert.Single(server.Requests, r => r.Method == "GET" && r.Path == "/v1/payment_intents/" + charged.ChargeId);
        Assert.True(string.IsNullOrEmpty(retrieve.StripeAccount));
    }

    [Fact]
    public async Task RunKeyOfCharge_IsNull_ForAnIntentStripeDoesNotKnow_OrOneWithoutOurKey_AndForIdsThatAreNoIntents()
    {
        var foreign = server.Seed("cus_PayerOne", "someone-elses-key", "succeeded", 100, StripeJson.Epoch);

        Assert.Null(await Gateway().RunKeyOfChargeAsync("pi_3QxTestUnknown01", CancellationToken.None));
        Assert.Null(await Gateway().RunKeyOfChargeAsync(foreign, CancellationToken.None));
        Assert.Null(await Gateway().RunKeyOfChargeAsync("ch_3QxTestCharge01", CancellationToken.None));
        Assert.Null(await Gateway().RunKeyOfChargeAsync("pi_../../v1/customers", CancellationToken.None));
        Assert.Equal(2, server.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task RunKeyOfCharge_WhenStripeFails_IsUnavailable_SoTheEventIsDeliveredAgain()
    {
        server.FailRetrievals = true;

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => Gateway().RunKeyOfChargeAsync("pi_3QxTestAnyId0001", CancellationToken.None));
    }

    [Fact]
    public async Task FindCharge_IgnoresOtherKeysAndUnpaidIntents()
    {
        var key = ChargeIdempotencyKey.For(RunKey, 3);
        server.Seed("cus_PayerOne", ChargeIdempotencyKey.For(RunKey, 2), "succeeded", 100, StripeJson.Epoch);
        server.Seed("cus_PayerOne", key, "requires_payment_method", 100, StripeJson.Epoch + 1);
        server.Seed("cus_PayerTwo", key, "succeeded", 100, StripeJson.Epoch + 2);

        Assert.Null(await Gateway().FindChargeAsync(Lookup(key), CancellationToken.None));
    }

    [Fact]
    public async Task FindCharge_PagesThroughEveryIntentSinceTheAllocation()
    {
        var key = ChargeIdempotencyKey.For(RunKey, 4);
        var oldest = server.Seed("cus_PayerOne", key, "processing", 900, StripeJson.Epoch);
        for (var i = 1; i <= 130; i++)
        {
            server.Seed("cus_PayerOne", $"autopay/other/{i}", "succeeded", 100, StripeJson.Epoch + i);
        }

        var found = await Gateway().FindChargeAsync(Lookup(key), CancellationToken.None);

        Assert.Equal(oldest, found?.ChargeId);
        Assert.True(found!.SettlementPending);
        Assert.Equal(2, server.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task FindCharge_TwoApprovedChargesUnderOneKey_IsADuplicateKeepingTheEarliest()
    {
        var key = ChargeIdempotencyKey.For(RunKey, 1);
        var first = server.Seed("cus_PayerOne", key, "succeeded", 12_345, StripeJson.Epoch + 5);
        var second = server.Seed("cus_PayerOne", key, "succeeded", 12_345, StripeJson.Epoch + 9);

        var error = await Assert.ThrowsAsync<DuplicateChargeException>(() => Gateway().FindChargeAsync(Lookup(key), CancellationToken.None));

        Assert.Equal(first, error.Kept?.ChargeId);
        Assert.Equal([second], error.Duplicates);
    }

    [Fact]
    public async Task FindCharge_WhenStripeCannotAnswer_SaysItCannotTell()
    {
        await using var down = await FakeStripeServer.StartAsync();
        await down.DisposeAsync();
        var gateway = new StripePaymentGateway(
            new GatewayOptions { Kind = GatewayKind.Stripe, StripeApiKey = ApiKey, StripeApiBase = down.BaseUrl },
            new HttpClient { Timeout = TimeSpan.FromSeconds(5) });

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.FindChargeAsync(Lookup(ChargeIdempotencyKey.For(RunKey, 1)), CancellationToken.None));
    }

    private static (string, DeclineKind) Code(ChargeResult result)
    {
        var declined = Assert.IsType<ChargeDeclined>(result);
        return (declined.Code, declined.Kind);
    }

    private static ChargeLookup Lookup(string key) => new(key, Token, AllocatedAt);

    private StripePaymentGateway Gateway(TimeSpan? timeout = null, int feeBasisPoints = 0) => new(
        new GatewayOptions { Kind = GatewayKind.Stripe, StripeApiKey = ApiKey, StripeApiBase = server.BaseUrl, OperatingFeeBasisPoints = feeBasisPoints },
        new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(10) });

    private static ChargeRequest Request(
        long amountMinor = 12_345,
        string currency = "USD",
        string token = Token,
        string? description = null,
        DepositAccount? deposit = null,
        PaymentRail rail = PaymentRail.Card,
        string? mandate = null,
        int attempt = 1) => new(
        ChargeIdempotencyKey.For(RunKey, attempt),
        RunKey,
        token,
        new Money(amountMinor, currency),
        deposit ?? Operating,
        rail,
        mandate,
        description,
        new Dictionary<string, string> { ["firm_id"] = "firm-1" });
}
