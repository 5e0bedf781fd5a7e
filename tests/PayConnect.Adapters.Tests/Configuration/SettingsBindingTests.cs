using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Messaging;

namespace PayConnect.Adapters.Tests.Configuration;

/// <summary>Every settings group is bound from its section and checked when the host starts.</summary>
public sealed class SettingsBindingTests
{
    private const string Azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    [Fact]
    public void FlatSpelling_InAnInMemorySource_IsNotSeen()
    {
        // What the dev host and the tests used to do, and what hid that Azure reads nothing under these names.
        var flat = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = Azurite,
            [AppSettings.ServiceBusConnectionString] = "Endpoint=sb://localhost:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
        }).Build();
        using var provider = Provider(flat);

        var storage = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);
        var serviceBus = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ServiceBusOptions>>().Value);

        Assert.Contains(AppSettings.StorageConnectionString, storage.Message, StringComparison.Ordinal);
        Assert.Contains(AppSettings.ServiceBusConnectionString, serviceBus.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SameSettings_KeyedAsTheEnvironmentKeysThem_AreSeen()
    {
        var keyed = new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = Azurite,
            [AppSettings.ServiceBusConnectionString] = "Endpoint=sb://localhost:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
        }).Build();
        using var provider = Provider(keyed);

        Assert.Equal(Azurite, provider.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString);
        Assert.Equal("autopay-runs", provider.GetRequiredService<QueueNames>().Runs);
    }

    [Fact]
    public void MisspeltSettingInAKnownSection_FailsAtStart()
    {
        var configuration = new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = Azurite,
            ["RunDrain__MaxConcurency"] = "8",
        }).Build();
        using var provider = Provider(configuration);

        var error = Assert.ThrowsAny<InvalidOperationException>(() => provider.GetRequiredService<IOptions<RunDrainOptions>>().Value);

        Assert.Contains("MaxConcurency", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RunDrain__MaxConcurrency", "0", "RunDrain__MaxConcurrency")]
    [InlineData("RunDrain__TimeBudgetSeconds", "600", "RunDrain__TimeBudgetSeconds")]
    [InlineData("Storage__TableServiceUri", "account.table.core.windows.net", "Storage__TableServiceUri")]
    [InlineData("ServiceBus__FullyQualifiedNamespace", "sb://ns.servicebus.windows.net/", "ServiceBus__FullyQualifiedNamespace")]
    [InlineData("ServiceBus__RunsQueue", "", "ServiceBus__RunsQueue")]
    public void OutOfRangeSetting_FailsAtStartNamingIt(string name, string value, string named)
    {
        var settings = new Dictionary<string, string?> { [name] = value };
        if (!name.StartsWith("Storage", StringComparison.Ordinal))
        {
            settings[AppSettings.StorageConnectionString] = Azurite;
        }

        if (!name.StartsWith("ServiceBus__FullyQualifiedNamespace", StringComparison.Ordinal))
        {
            settings[AppSettings.ServiceBusNamespace] = "ns.servicebus.windows.net";
        }

        using var provider = Provider(new ConfigurationBuilder().AddAppSettings(settings).Build());

        var errors = Failures(provider);

        Assert.Contains(errors, e => e.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void RunDrainSettings_BecomeTheDrainsLimits()
    {
        using var provider = Provider(new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?>
        {
            [AppSettings.RunDrainTimeBudgetSeconds] = "120",
            [AppSettings.RunDrainMaxConcurrency] = "8",
        }).Build());

        var drain = provider.GetRequiredService<DrainOptions>();

        Assert.Equal((TimeSpan.FromMinutes(2), 8), (drain.TimeBudget, drain.MaxConcurrency));
    }

    [Fact]
    public void DevelopmentAuth_OnAnAzureInstance_IsRefused()
    {
        using var provider = Provider(new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?>
        {
            [AppSettings.AuthMode] = "Development",
            [AppSettings.AuthDevelopmentFirmId] = "demo-firm",
            [AppSettings.WebsiteSiteName] = "func-payconnect-dev",
        }).Build());

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AuthOptions>>().Value);

        Assert.Contains("Development is refused in Azure (WEBSITE_SITE_NAME is set)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DevelopmentAuth_Locally_IsAccepted()
    {
        using var provider = Provider(new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?>
        {
            [AppSettings.AuthMode] = "development",
            [AppSettings.AuthDevelopmentFirmId] = "demo-firm",
        }).Build());

        Assert.True(provider.GetRequiredService<IOptions<AuthOptions>>().Value.IsDevelopment);
    }

    [Theory]
    [InlineData("Basic")]
    [InlineData("1")]
    public void AuthMode_Unknown_FailsAtStart(string mode)
    {
        using var provider = Provider(new ConfigurationBuilder().AddAppSettings(new Dictionary<string, string?> { [AppSettings.AuthMode] = mode }).Build());

        var error = Assert.ThrowsAny<InvalidOperationException>(() => provider.GetRequiredService<IOptions<AuthOptions>>().Value);

        Assert.Contains("Auth:Mode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSettings_ForAClassThatIsNoSettingsGroup_IsRefused() =>
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddSettings<DrainOptions>());

    private static ServiceProvider Provider(IConfiguration configuration) =>
        new ServiceCollection().AddLogging().AddSingleton(configuration).AddPayConnect().BuildServiceProvider();

    private static List<string> Failures(ServiceProvider provider)
    {
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
        catch (AggregateException ex)
        {
            return [.. ex.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)];
        }
    }
}
