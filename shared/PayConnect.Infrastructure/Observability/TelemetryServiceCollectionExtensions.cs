using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Observability;

namespace PayConnect.Infrastructure.Observability;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The Functions worker's own activity source (one span per invocation), joined to PayConnect's.</summary>
    public const string FunctionsWorkerSource = "Microsoft.Azure.Functions.Worker";

    /// <summary>
    /// Exports PayConnect's traces (activity source "PayConnect" and the worker's invocations), metrics (meter
    /// "PayConnect", with the backlog gauges read once a minute) and logs to Application Insights, authenticated with
    /// the managed identity's <see cref="TokenCredential"/> (the resource refuses keys), every trace kept: a run is
    /// money, and its trace is how on-call follows it. Only when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set;
    /// otherwise nothing is registered and nothing exported (the local default).
    /// </summary>
    /// <returns>The OpenTelemetry builder when exporting (the worker adds its defaults to it), else null.</returns>
    public static IOpenTelemetryBuilder? AddPayConnectTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Decided at registration, before the container exists; the value is validated at start with the rest of
        // AzureOptions (AddPayConnect).
        var azure = SettingsBinding.Read<AzureOptions>(configuration);
        if (!azure.ExportsTelemetry)
        {
            return null;
        }

        var builder = services.AddOpenTelemetry()
            .UseAzureMonitorExporter(exporter =>
            {
                exporter.ConnectionString = azure.ApplicationInsightsConnectionString!.Trim();
                exporter.TracesPerSecond = null;
                exporter.SamplingRatio = 1.0F;
            })
            .WithTracing(tracing => tracing.AddSource(Telemetry.Name, FunctionsWorkerSource))
            .WithMetrics(metrics => metrics.AddMeter(Telemetry.Name));
        services.AddOptions<AzureMonitorExporterOptions>()
            .Configure<TokenCredential>((exporter, credential) => exporter.Credential = credential);
        services.TryAddSingleton<BacklogGauges>();
        services.AddHostedService<BacklogMonitor>();
        return builder;
    }
}
