using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Observability;

namespace PayConnect.Adapters.Tests.Observability;

/// <summary>
/// Telemetry is exported only when an Application Insights connection string is configured, then with the managed
/// identity's credential from the container and every trace kept. The exporter itself is never built here: it would
/// try to reach Azure.
/// </summary>
public sealed class TelemetryRegistrationTests
{
    private const string ConnectionString = "InstrumentationKey=5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/";

    [Fact]
    public void WithoutAConnectionString_NothingIsRegistered_AndNothingExported()
    {
        var services = new ServiceCollection();

        var builder = services.AddPayConnectTelemetry(Configuration(new() { [AppSettings.ApplicationInsightsConnectionString] = "" }));

        Assert.Null(builder);
        Assert.Empty(services);
    }

    [Fact]
    public void WithAConnectionString_ExportsWithTheContainersCredential_KeepingEveryTrace()
    {
        var credential = new MarkerCredential();
        var services = new ServiceCollection().AddSingleton<TokenCredential>(credential);

        var builder = services.AddPayConnectTelemetry(Configuration(new() { [AppSettings.ApplicationInsightsConnectionString] = ConnectionString }));
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(builder);
        var exporter = provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
        Assert.Same(credential, exporter.Credential);
        Assert.Equal(ConnectionString, exporter.ConnectionString);
        Assert.Null(exporter.TracesPerSecond);
        Assert.Equal(1.0F, exporter.SamplingRatio);
        Assert.Contains(services, d => d.ServiceType == typeof(TracerProvider));
        Assert.Contains(services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(BacklogMonitor));
    }

    [Theory]
    [InlineData("not a connection string")]
    [InlineData("InstrumentationKey=abc;IngestionEndpoint=https://x.example/")]
    [InlineData("InstrumentationKey=5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9;IngestionEndpoint=http://plain.example/")]
    public void MalformedConnectionString_FailsTheStart_NamingTheSetting(string value)
    {
        var options = new AzureOptions { ApplicationInsightsConnectionString = value };

        var problem = Assert.Single(options.Problems());

        Assert.Contains(AppSettings.ApplicationInsightsConnectionString, problem, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddAppSettings(settings).Build();

    private sealed class MarkerCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
