using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>The gateway ids routing and ACH need: a bank account's Stripe connected account, an ACH method's mandate.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class GatewayIdsApiTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Fact]
    public async Task BankAccount_WithAConnectedAccountId_KeepsIt()
    {
        var created = Ok(await Client.Post($"/api/firms/{FirmA}/bank-accounts",
            new { name = "IOLTA", kind = "Trust", last4 = "0001", stripeAccountId = "acct_1FirmTrust01" }), 201).Json!;
        var read = Ok(await Client.Get($"/api/firms/{FirmA}/bank-accounts/{created["id"]!.GetValue<string>()}"), 200).Json!;

        Assert.Equal("acct_1FirmTrust01", read["stripeAccountId"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("acct_")]
    [InlineData("acct_1Firm-Trust")]
    [InlineData("cus_1FirmTrust01")]
    public async Task BankAccount_WithAMalformedConnectedAccountId_IsRefusedAndNothingIsCreated(string id)
    {
        var before = Ok(await Client.Get($"/api/firms/{FirmA}/bank-accounts"), 200).Json!["items"]!.AsArray().Count;

        var response = await Client.Post($"/api/firms/{FirmA}/bank-accounts", new { name = "IOLTA", kind = "Trust", last4 = "0001", stripeAccountId = id });

        Assert.Equal(400, response.Status);
        Assert.True(response.Json!["errors"]!.AsObject().ContainsKey("stripeAccountId"), response.Body);
        Assert.Equal(before, Ok(await Client.Get($"/api/firms/{FirmA}/bank-accounts"), 200).Json!["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task AchMethod_WithAMandate_KeepsIt()
    {
        var payerId = await CreatePayerAsync();

        var created = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/payment-methods",
            new { kind = "Ach", token = "pm_sandbox_ach_approve", displayName = "First Bank", last4 = "1111", mandateId = "mandate_1AcmeBank01" }), 201).Json!;

        Assert.Equal("mandate_1AcmeBank01", created["mandateId"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Card", "mandate_1AcmeBank01")]
    [InlineData("Ach", "mandate_")]
    [InlineData("Ach", "pm_1AcmeBank01")]
    public async Task Method_WithAMandateOnACardOrMalformed_IsRefused(string kind, string mandateId)
    {
        var payerId = await CreatePayerAsync();
        object body = kind == "Card"
            ? new { kind, token = "pm_sandbox_approve", displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030, mandateId }
            : new { kind, token = "pm_sandbox_approve", displayName = "First Bank", last4 = "1111", mandateId };

        var response = await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/payment-methods", body);

        Assert.Equal(400, response.Status);
        Assert.True(response.Json!["errors"]!.AsObject().ContainsKey("mandateId"), response.Body);
    }
}
