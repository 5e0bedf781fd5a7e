using PayConnect.Infrastructure.Payments;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

public sealed class StripePaymentGatewayTests : IAsyncLifetime
{
    private const string ApiKey = "sk_test_payconnect_fake_key";
    private const string RunKey = "firm-1/sched-9/2025-03-01";
    private const string Token = "cus_PayerOne|pm_1QxCardVisa";

    private FakeStripeServer server = null!;

    public async Task InitializeAsync() => server = await FakeStripeServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Charge_Succeeded_IsApprovedAndSendsAnOffSessionConfirmedIntent()
    {
        var request = Request(amountMinor: 12_345, description: "Invoice 1001, 1002");

        var result = await Gateway().ChargeAsync(request, CancellationToken.None);

        Assert.Equal(new ChargeApproved("pi_3QxTestIntent0001", new Money(12_345, "USD")), result);
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
        Assert.Equal(RunKey, sent.Form["metadata[run_key]"]);
        Assert.Equal("bank-operating-1", sent.Form["metadata[destination_bank_account_id]"]);
        Assert.Equal("firm-1", sent.Form["metadata[firm_id]"]);
        Assert.Equal("Invoice 1001, 1002", sent.Form["description"]);
        Assert.Equal("never", sent.Form["automatic_payment_methods[allow_redirects]"]);
    }

    [Fact]
    public async Task Charge_ZeroDecimalCurrency_SendsWholeUnitsInLowerCase()
    {
        await Gateway().ChargeAsync(Request(amountMinor: 5_000, currency: "JPY"), CancellationToken.None);

        var sent = Assert.Single(server.Requests);
        Assert.Equal(("5000", "jpy"), (sent.Form["amount"], sent.Form["currency"]));
    }

    [Fact]
    public async Task Charge_AchProcessing_IsApprovedWithSettlementPending()
    {
        server.ThenReply(r => new StripeReply(200, StripeJson.Intent(r, "processing")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.True(Assert.IsType<ChargeApproved>(result).SettlementPending);
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
    [InlineData("some_future_code", null)]
    public async Task Charge_HardDeclineOrHardAdvice_IsAHardDecline(string declineCode, string? adviceCode)
    {
        server.ThenReply(new StripeReply(402, StripeJson.CardError("Your card was declined.", declineCode, adviceCode: adviceCode)));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(new ChargeDeclined(declineCode, "Your card was declined.", DeclineKind.Hard), result);
    }

    [Fact]
    public async Task Charge_ExpiredCardWithoutDeclineCode_IsAHardDeclineByErrorCode()
    {
        server.ThenReply(new StripeReply(402, StripeJson.CardError("Your card has expired.", declineCode: null, code: "expired_card")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        Assert.Equal(new ChargeDeclined("expired_card", "Your card has expired.", DeclineKind.Hard), result);
    }

    [Fact]
    public async Task Charge_RequiresAction_IsAHardAuthenticationDecline()
    {
        server.ThenReply(r => new StripeReply(200, StripeJson.Intent(r, "requires_action")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        var declined = Assert.IsType<ChargeDeclined>(result);
        Assert.Equal(("authentication_required", DeclineKind.Hard), (declined.Code, declined.Kind));
    }

    [Fact]
    public async Task Charge_ServerError_IsUnavailableAfterExactlyOneRequest()
    {
        server.ThenReply(new StripeReply(500, StripeJson.Error("api_error", null, "An unknown error occurred")));

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => Gateway().ChargeAsync(Request(), CancellationToken.None));

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Charge_RetriedAfterServerError_SendsTheSameIdempotencyKeyAndGetsTheOutcome()
    {
        var gateway = Gateway();
        var request = Request();
        server.ThenReply(new StripeReply(503, StripeJson.Error("api_error", null, "Service unavailable")));

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.ChargeAsync(request, CancellationToken.None));
        var result = await gateway.ChargeAsync(request, CancellationToken.None);

        Assert.IsType<ChargeApproved>(result);
        Assert.Equal([request.IdempotencyKey, request.IdempotencyKey], server.Requests.Select(r => r.IdempotencyKey));
        Assert.Equal(server.Requests[0].Form, server.Requests[1].Form);
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
        server.ThenReply(new StripeReply(400, StripeJson.Error(
            "idempotency_error",
            null,
            "Keys for idempotent requests can only be used with the same parameters they were first used with.")));

        await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => Gateway().ChargeAsync(Request(), CancellationToken.None));
    }

    [Theory]
    [InlineData(429, "rate_limit_error")]
    [InlineData(401, "invalid_request_error")]
    public async Task Charge_RateLimitedOrNotAuthorized_IsUnavailableNotADecline(int status, string type)
    {
        server.ThenReply(new StripeReply(status, StripeJson.Error(type, null, "Try again later.")));

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => Gateway().ChargeAsync(Request(), CancellationToken.None));
    }

    [Fact]
    public async Task Charge_PaymentMethodGone_IsAHardDecline()
    {
        server.ThenReply(new StripeReply(400, StripeJson.Error("invalid_request_error", "resource_missing", "No such PaymentMethod: 'pm_1QxCardVisa'")));

        var result = await Gateway().ChargeAsync(Request(), CancellationToken.None);

        var declined = Assert.IsType<ChargeDeclined>(result);
        Assert.Equal(("resource_missing", DeclineKind.Hard), (declined.Code, declined.Kind));
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
    public async Task FindCharge_AfterAnApprovedCharge_FindsItByTheIdempotencyKeyInItsMetadata()
    {
        var request = Request();
        var charged = Assert.IsType<ChargeApproved>(await Gateway().ChargeAsync(request, CancellationToken.None));

        var found = await Gateway().FindChargeAsync(request.IdempotencyKey, CancellationToken.None);

        Assert.Equal(request.IdempotencyKey, server.Requests[0].Form["metadata[idempotency_key]"]);
        Assert.Equal(charged.ChargeId, found?.ChargeId);
        Assert.Equal($"metadata['idempotency_key']:'{request.IdempotencyKey}'", server.Requests[^1].Form["query"]);
        Assert.Equal($"Bearer {ApiKey}", server.Requests[^1].Authorization);
    }

    [Fact]
    public async Task FindCharge_WithNoChargeUnderTheKey_ReturnsNull()
    {
        Assert.Null(await Gateway().FindChargeAsync(ChargeIdempotencyKey.For(RunKey, 7), CancellationToken.None));
    }

    [Fact]
    public async Task FindCharge_WhenStripeCannotAnswer_SaysItCannotTell()
    {
        await using var down = await FakeStripeServer.StartAsync();
        await down.DisposeAsync();
        var gateway = new StripePaymentGateway(
            new GatewayOptions { Kind = GatewayKind.Stripe, StripeApiKey = ApiKey, StripeApiBase = down.BaseUrl },
            new HttpClient { Timeout = TimeSpan.FromSeconds(5) });

        await Assert.ThrowsAsync<GatewayUnavailableException>(() => gateway.FindChargeAsync(ChargeIdempotencyKey.For(RunKey, 1), CancellationToken.None));
    }

    private StripePaymentGateway Gateway(TimeSpan? timeout = null) => new(
        new GatewayOptions { Kind = GatewayKind.Stripe, StripeApiKey = ApiKey, StripeApiBase = server.BaseUrl },
        new HttpClient { Timeout = timeout ?? TimeSpan.FromSeconds(10) });

    private static ChargeRequest Request(long amountMinor = 12_345, string currency = "USD", string token = Token, string? description = null) => new(
        ChargeIdempotencyKey.For(RunKey, 1),
        RunKey,
        token,
        new Money(amountMinor, currency),
        "bank-operating-1",
        description,
        new Dictionary<string, string> { ["firm_id"] = "firm-1" });
}
