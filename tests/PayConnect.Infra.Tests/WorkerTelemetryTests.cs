using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using PayConnect.Functions;
using PayConnect.Infrastructure.Configuration;

namespace PayConnect.Infra.Tests;

/// <summary>
/// The worker's registration as functions/Program.cs makes it, with telemetry: every service still resolves
/// (ValidateOnBuild), and with a connection string the worker tells the host it exports its own logs. Nothing is
/// built that would export: the container is validated, not started.
/// </summary>
[Collection(BicepCompilationCollection.Name)]
public sealed class WorkerTelemetryTests
{
    private const string ConnectionString = "InstrumentationKey=5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9;IngestionEndpoint=https://127.0.0.1:1/";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Worker_WithOrWithoutAConnectionString_ResolvesAndSaysWhetherItExportsItsOwnLogs(bool exporting)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.ConfigureFunctionsWebApplication();
        builder.Configuration.AddAppSettings(new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = "UseDevelopmentStorage=true",
            [AppSettings.ServiceBusConnectionString] = "Endpoint=sb://localhost:1;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true",
            [AppSettings.EmailTransport] = "Sink",
            [AppSettings.EmailSenderAddress] = "DoNotReply@payconnect.test",
            [AppSettings.EmailSinkDirectory] = Path.GetTempPath(),
            [AppSettings.ApplicationInsightsConnectionString] = exporting ? ConnectionString : string.Empty,
        });

        // No real credential: nothing here may ask Entra for a token.
        builder.Services.AddSingleton<TokenCredential>(new NoCredential());
        builder.Services.AddPayConnectFunctions();
        builder.Services.AddPayConnectFunctionsTelemetry(builder.Configuration);
        using var services = builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var capabilities = services.GetRequiredService<IOptions<WorkerOptions>>().Value.Capabilities;
        Assert.Equal(exporting, capabilities.TryGetValue("WorkerOpenTelemetryEnabled", out var value) && value == bool.TrueString);
        Assert.Equal(exporting, builder.Services.Any(d => d.ServiceType == typeof(TracerProvider)));
        if (exporting)
        {
            Assert.IsType<NoCredential>(services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName).Credential);
        }
    }

    private sealed class NoCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
