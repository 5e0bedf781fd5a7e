using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NodaTime;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Payments;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

public class PaymentsRegistrationTests
{
    [Fact]
    public void AddPayConnectPayments_WithoutSettings_UsesOneSandboxAndTheDefaultPolicy()
    {
        using var provider = Provider();

        var gateway = provider.GetRequiredService<IPaymentGateway>();

        Assert.IsType<SandboxPaymentGateway>(gateway);
        Assert.Same(gateway, provider.GetRequiredService<IPaymentGateway>());
        Assert.Same(gateway, provider.GetRequiredService<SandboxPaymentGateway>());
        Assert.NotNull(provider.GetRequiredService<DeclinePolicy>());
    }

    [Fact]
    public void AddPayConnectPayments_DeclineSettings_AreBoundByTheirAppSettingNames()
    {
        using var provider = Provider((AppSettings.DeclinesMaxSoftDeclineRetries, "1"), (AppSettings.DeclinesRetryAfterDays, "5"));

        var options = provider.GetRequiredService<IOptions<DeclineOptions>>().Value;
        var policy = provider.GetRequiredService<DeclinePolicy>();
        var soft = new ChargeDeclined("insufficient_funds", "", DeclineKind.Soft);
        var day = new LocalDate(2025, 3, 1);

        Assert.Equal((1, 5), (options.MaxSoftDeclineRetries, options.RetryAfterDays));
        Assert.Equal(new RetryDecision.RetryOn(day.PlusDays(5), 2), policy.Decide(soft, PaymentRail.Card, 1, day, day));
        Assert.IsType<RetryDecision.GiveUp>(policy.Decide(soft, PaymentRail.Card, 2, day, day.PlusDays(5)));
    }

    [Fact]
    public void AddPayConnectPayments_DeclineSettingsOutOfRange_FailWhenThePolicyIsResolved()
    {
        using var provider = Provider((AppSettings.DeclinesMaxSoftDeclineRetries, "40"));

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<DeclinePolicy>());
    }

    [Fact]
    public async Task AddPayConnectPayments_KindStripe_ChargesThroughTheConfiguredApiBase()
    {
        await using var server = await FakeStripeServer.StartAsync();
        using var provider = Provider(
            (AppSettings.GatewayKind, "Stripe"),
            (AppSettings.GatewayStripeApiKey, "sk_test_from_settings"),
            (AppSettings.GatewayWebhookSecret, "whsec_test_from_settings"),
            (AppSettings.GatewayStripeApiBase, server.BaseUrl));

        var gateway = provider.GetRequiredService<IPaymentGateway>();
        var result = await gateway.ChargeAsync(
            new ChargeRequest("autopay/r/attempt-1", "r", "cus_A|pm_B", new Money(100, "USD"),
                new DepositAccount("bank-1", PayConnect.Connect.BankAccountKind.Operating, "acct_1BankOne"), PaymentRail.Card),
            CancellationToken.None);

        Assert.IsType<StripePaymentGateway>(gateway);
        Assert.IsType<ChargeApproved>(result);
        Assert.Equal("Bearer sk_test_from_settings", Assert.Single(server.Requests).Authorization);
    }

    [Fact]
    public void AddPayConnectPayments_KindStripeWithoutKey_FailsAtStartBeforeAnyCharge()
    {
        using var provider = Provider((AppSettings.GatewayKind, "Stripe"));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("StripeApiKey", error.Message);
    }

    [Fact]
    public void AddPayConnectPayments_StripeKeyStillAKeyVaultReference_FailsAtStartNamingTheSecret()
    {
        using var provider = Provider(
            (AppSettings.GatewayKind, "Stripe"),
            (AppSettings.GatewayStripeApiKey, "@Microsoft.KeyVault(VaultName=kv-payconnect-prod-k3x7q;SecretName=StripeApiKey)"));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("unresolved Key Vault reference", error.Message);
        Assert.Contains("StripeApiKey secret", error.Message);
    }

    [Theory]
    [InlineData("Paypal")]
    [InlineData("7")]
    [InlineData("1")]
    public void AddPayConnectPayments_UnknownKind_FailsAtStart(string kind)
    {
        using var provider = Provider((AppSettings.GatewayKind, kind));

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("Gateway:Kind", error.Message);
    }

    [Fact]
    public void AddPayConnectPayments_EmptyKindAsInTheSampleSettings_IsSandbox()
    {
        using var provider = Provider((AppSettings.GatewayKind, ""), (AppSettings.GatewayStripeApiKey, ""), (AppSettings.GatewayStripeApiBase, ""));

        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.IsType<SandboxPaymentGateway>(provider.GetRequiredService<IPaymentGateway>());
    }

    private static ServiceProvider Provider(params (string Setting, string Value)[] settings)
    {
        // Keyed the way the worker's environment keys app settings ("Gateway__Kind" is read as "Gateway:Kind").
        var configuration = new ConfigurationBuilder()
            .AddAppSettings(settings.Select(s => KeyValuePair.Create(s.Setting, (string?)s.Value)))
            .Build();
        return new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddPayConnectPayments()
            .BuildServiceProvider();
    }
}
