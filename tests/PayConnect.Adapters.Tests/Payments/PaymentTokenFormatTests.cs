using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PayConnect.Infrastructure.Payments;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

/// <summary>A saved token must have the configured gateway's shape, the one its adapter can charge.</summary>
public sealed class PaymentTokenFormatTests
{
    [Theory]
    [InlineData("cus_Abc123|pm_1QxCardVisa")]
    [InlineData("cus_Abc123|card_1QxLegacyCard")]
    [InlineData("cus_Abc123|ba_1QxBankAccount")]
    [InlineData("cus_Abc123|src_1QxSource")]
    [InlineData("cus_Abc123|pm_card_visa")]
    public void Stripe_CustomerAndAPaymentMethodAPaymentIntentAccepts_IsWellFormed(string token)
    {
        Assert.True(new StripePaymentTokenFormat().IsWellFormed(token));
        Assert.True(StripePaymentMethodToken.TryParse(token, out var parsed));
        Assert.Equal(token, parsed.ToString());
    }

    [Theory]
    [InlineData("pm_1QxCardVisa")]
    [InlineData("cus_Abc123|tok_1QxToken")]
    [InlineData("cus_Abc123|pi_1QxIntent")]
    [InlineData("cus_Abc123|pm_")]
    [InlineData("cus_Abc123|pm_1Qx.Card")]
    [InlineData("pm_sandbox_approve")]
    [InlineData("4111.1111.1111.1111")]
    public void Stripe_AnythingElse_IsNot(string token) => Assert.False(new StripePaymentTokenFormat().IsWellFormed(token));

    [Theory]
    [InlineData("pm_sandbox_approve")]
    [InlineData("pm_sandbox_ach_approve")]
    [InlineData("pm_sandbox_approve.payer-42")]
    [InlineData("pm_sandbox_unknown_outcome")]
    public void Sandbox_ItsTestTokens_AreWellFormed(string token) => Assert.True(new SandboxPaymentTokenFormat().IsWellFormed(token));

    [Theory]
    [InlineData("tok_1")]
    [InlineData("pm_sandbox_")]
    [InlineData("pm_sandbox_Approve")]
    [InlineData("cus_Abc123|pm_1Xyz")]
    [InlineData("pm_sandbox_approve.")]
    [InlineData("pm_sandbox_approve.a/b")]
    public void Sandbox_AnythingElse_IsNot(string token) => Assert.False(new SandboxPaymentTokenFormat().IsWellFormed(token));

    [Theory]
    [InlineData("Sandbox", typeof(SandboxPaymentTokenFormat))]
    [InlineData("Stripe", typeof(StripePaymentTokenFormat))]
    public void Registration_TheConfiguredGateway_DecidesTheTokenFormat(string kind, Type expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Kind"] = kind,
            ["Gateway:StripeApiKey"] = "sk_test_local",
            ["Gateway:WebhookSecret"] = "whsec_test_local",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddPayConnectPayments().BuildServiceProvider();

        Assert.IsType(expected, services.GetRequiredService<IPaymentTokenFormat>());
    }
}
