using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email;
using PayConnect.Infrastructure.Email.Acs;
using PayConnect.Infrastructure.Email.Smtp;
using PayConnect.Infrastructure.Email.Sink;
using PayConnect.Notifications;

namespace PayConnect.Adapters.Tests.Email;

public class AddPayConnectEmailTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddAppSettings(settings).Build();
        return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddPayConnectEmail().BuildServiceProvider();
    }

    [Theory]
    [InlineData("Sink", typeof(SinkEmailSender))]
    [InlineData("smtp", typeof(SmtpEmailSender))]
    [InlineData("ACS", typeof(AcsEmailSender))]
    public void Transport_PicksTheSender(string transport, Type expected)
    {
        using var provider = Build(new()
        {
            ["Email:Transport"] = transport,
            ["Email:SenderAddress"] = "DoNotReply@payconnect.test",
            ["Email:SinkDirectory"] = Path.GetTempPath(),
            ["Email:SmtpHost"] = "smtp.example.test",
            ["Email:AcsEndpoint"] = "https://acs.example.test",
            ["Email:AcsAccessKey"] = FakeAcsServer.TestAccessKey,
        });

        Assert.IsType(expected, provider.GetRequiredService<IEmailSender>());
    }

    [Fact]
    public void Settings_AreReadFromTheirSection_AsTheWorkerSeesAppSettings()
    {
        var configuration = new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?>
        {
            ["Email__Transport"] = "Smtp",
            ["Email__SenderAddress"] = "DoNotReply@payconnect.test",
            ["Email__SmtpHost"] = "smtp.example.test",
            ["Email__SmtpPort"] = "2525",
            ["Email__SmtpUser"] = "user",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddPayConnectEmail().BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SmtpEmailOptions>>().Value;
        Assert.Equal(("smtp.example.test", 2525, "user"), (options.Host, options.Port, options.User));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Carrier pigeon")]
    [InlineData("1")]
    public void Transport_MissingOrUnknown_FailsAtStart(string? transport)
    {
        using var provider = Build(new() { ["Email:Transport"] = transport });

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Matches("Email(__|:)Transport", error.Message);
    }

    [Fact]
    public void Acs_WithoutKey_AuthorizesWithTheManagedIdentity()
    {
        using var provider = Build(new() { ["Email:Transport"] = "Acs", ["Email:AcsEndpoint"] = "https://acs.example.test", ["Email:SenderAddress"] = "a@b.test" });

        Assert.IsType<AcsEmailSender>(provider.GetRequiredService<IEmailSender>());
        Assert.Equal("Bearer", provider.GetRequiredService<AcsAuthorization>().Scheme);
    }

    [Fact]
    public void Acs_WithKey_SignsWithTheKey()
    {
        using var provider = Build(new()
        {
            ["Email:Transport"] = "Acs",
            ["Email:AcsEndpoint"] = "https://acs.example.test",
            ["Email:SenderAddress"] = "a@b.test",
            ["Email:AcsAccessKey"] = FakeAcsServer.TestAccessKey,
        });

        Assert.Equal("HMAC-SHA256", provider.GetRequiredService<AcsAuthorization>().Scheme);
    }

    [Fact]
    public void Acs_WithAMalformedKey_FailsOptionsValidation()
    {
        using var provider = Build(new()
        {
            ["Email:Transport"] = "Acs",
            ["Email:AcsEndpoint"] = "https://acs.example.test",
            ["Email:SenderAddress"] = "a@b.test",
            ["Email:AcsAccessKey"] = "not base64!",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Email__AcsAccessKey", error.Message);
    }

    [Fact]
    public async Task Acs_AsRegistered_SendsThroughTheService()
    {
        await using var server = await FakeAcsServer.StartAsync();
        server.RetryAfterSeconds = 0;
        using var provider = Build(new()
        {
            ["Email:Transport"] = "Acs",
            ["Email:SenderAddress"] = "DoNotReply@payconnect.test",
            ["Email:AcsEndpoint"] = server.Endpoint.ToString(),
            ["Email:AcsAccessKey"] = FakeAcsServer.TestAccessKey,
        });

        var result = await provider.GetRequiredService<IEmailSender>().SendAsync(
            new EmailMessage("ntf-1", [new EmailAddress("oncall@firm.test")], "s", "t", "<p>h</p>"), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Empty(server.Violations);
    }
}
