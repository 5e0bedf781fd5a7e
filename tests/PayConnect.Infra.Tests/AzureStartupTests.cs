using System.Collections;
using System.Reflection;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PayConnect.Functions;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email.Acs;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Infrastructure.Storage;
using PayConnect.Notifications;
using PayConnect.Payments;

namespace PayConnect.Infra.Tests;

/// <summary>
/// The worker as it starts in Azure: the real <see cref="FunctionsApplication.CreateBuilder(string[])"/> of
/// functions/Program.cs, configured by nothing but environment variables carrying exactly the app settings the
/// compiled template sets (plus the variables the platform sets on every instance). Every service and option the
/// functions register is resolved with ValidateOnBuild and the start-time validation the host runs.
/// </summary>
[Collection(BicepCompilationCollection.Name)]
public sealed class AzureStartupTests(BicepCompilation compilation)
{
    private const string InstanceId = "6f3c5a2e9b1d4c7f8a0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a";
    private const string SiteName = "func-payconnect-dev-k3x7q";

    [Theory]
    [InlineData("Sandbox")] // main.dev.bicepparam
    [InlineData("Stripe")] // main.prod.bicepparam
    public async Task AppServiceAuthentication_WithTheTemplatesSettings_StartsAndResolvesEveryServiceAndOption(string gatewayKind)
    {
        var settings = TemplateSettings(gatewayKind);
        Assert.Equal("AppServiceAuthentication", settings[AppSettings.AuthMode]);

        await using var worker = AzureWorker.Build(settings);
        worker.ValidateAtStart();
        worker.ResolveEverything();

        var services = worker.Services;
        Assert.Equal(new Uri(settings[AppSettings.StorageTableServiceUri]), services.GetRequiredService<TableStorage>().Service.Uri);
        Assert.Equal(settings[AppSettings.ServiceBusNamespace], services.GetRequiredService<ServiceBusClient>().FullyQualifiedNamespace);
        Assert.Equal(settings[AppSettings.ServiceBusRunsQueue], services.GetRequiredService<QueueNames>().Runs);
        Assert.Equal(TimeSpan.FromSeconds(int.Parse(settings[AppSettings.RunDrainTimeBudgetSeconds], System.Globalization.CultureInfo.InvariantCulture)), services.GetRequiredService<DrainOptions>().TimeBudget);
        Assert.Equal(settings[AppSettings.AzureClientId], services.GetRequiredService<IOptions<AzureOptions>>().Value.ManagedIdentityClientId);
        Assert.Equal(AuthMode.AppServiceAuthentication, services.GetRequiredService<IOptions<AuthOptions>>().Value.Mode);
        Assert.IsType<AcsEmailSender>(services.GetRequiredService<IEmailSender>());
        Assert.IsType(gatewayKind == "Stripe" ? typeof(StripePaymentGateway) : typeof(SandboxPaymentGateway), services.GetRequiredService<IPaymentGateway>());
        Assert.Equal(new Uri(settings[AppSettings.EmailPortalBaseUrl]), services.GetRequiredService<OutboxOptions>().PortalBaseUrl);
    }

    [Theory]
    [InlineData(AppSettings.WebsiteInstanceId)]
    [InlineData(AppSettings.WebsiteSiteName)]
    public async Task Development_OnAnAzureInstance_IsRefusedAtStart(string platformVariable)
    {
        var settings = TemplateSettings("Sandbox");
        settings[AppSettings.AuthMode] = "Development";
        settings[AppSettings.AuthDevelopmentFirmId] = "demo-firm";
        settings.Remove(platformVariable == AppSettings.WebsiteInstanceId ? AppSettings.WebsiteSiteName : AppSettings.WebsiteInstanceId);

        await using var worker = AzureWorker.Build(settings);
        var error = Assert.Throws<OptionsValidationException>(worker.ValidateAtStart);

        Assert.Contains($"Auth__Mode=Development is refused in Azure ({platformVariable} is set)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Set Auth__Mode=AppServiceAuthentication", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The template's app settings resolved for one deployment, Key Vault references replaced by plausible secrets
    /// (in Azure the platform resolves them before the worker starts), plus the platform's instance variables.
    /// </summary>
    private Dictionary<string, string> TemplateSettings(string gatewayKind)
    {
        var resolved = DeployedAppSettings.Resolve(
            compilation.MainTemplate,
            new Dictionary<string, string>
            {
                ["environmentName"] = "dev",
                ["authClientId"] = "3f2a1b0c-9d8e-4f7a-b6c5-d4e3f2a1b0c9",
                ["portalClientId"] = "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968",
                ["portalBaseUrl"] = "https://portal.dev.example.com",
                ["gatewayKind"] = gatewayKind,
            },
            new Dictionary<string, string>
            {
                ["StripeApiKey"] = DeployedAppSettings.PlausibleStripeKey(),
                ["GatewayWebhookSecret"] = "whsec_" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
                ["AcsAccessKey"] = DeployedAppSettings.PlausibleAcsAccessKey(),
                ["UnsubscribeKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            });
        return new Dictionary<string, string>(resolved, StringComparer.Ordinal)
        {
            [AppSettings.WebsiteInstanceId] = InstanceId,
            [AppSettings.WebsiteSiteName] = SiteName,
        };
    }

    /// <summary>
    /// The worker built as functions/Program.cs builds it, with only the given environment variables as settings.
    /// The variables are this process's for the life of the instance (the tests of this collection run one at a time).
    /// </summary>
    private sealed class AzureWorker : IAsyncDisposable
    {
        private readonly Dictionary<string, string?> _saved;
        private readonly IHost _host;
        private readonly ServiceDescriptor[] _ours;

        private AzureWorker(Dictionary<string, string?> saved, IHost host, ServiceDescriptor[] ours)
        {
            _saved = saved;
            _host = host;
            _ours = ours;
        }

        public IServiceProvider Services => _host.Services;

        public static AzureWorker Build(IReadOnlyDictionary<string, string> environment)
        {
            var saved = ClearSettingsFromTheProcess();
            try
            {
                foreach (var (name, value) in environment)
                {
                    Environment.SetEnvironmentVariable(name, value);
                }

                var builder = FunctionsApplication.CreateBuilder([]);
                builder.ConfigureFunctionsWebApplication();
                var before = builder.Services.Count;
                builder.Services.AddPayConnectFunctions();
                var ours = builder.Services.Skip(before).ToArray();
                builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }));

                // Environment variables are the only source with settings: the optional JSON files do not exist here.
                var root = (IConfigurationRoot)builder.Configuration;
                Assert.All(root.Providers.OfType<JsonConfigurationProvider>(), p => Assert.Empty(p.GetChildKeys([], null)));
                Assert.Null(builder.Configuration[AppSettings.StorageTableServiceUri]);

                return new AzureWorker(saved, builder.Build(), ours);
            }
            catch
            {
                Restore(saved);
                throw;
            }
        }

        /// <summary>What the host does first when it starts: every ValidateOnStart option is built and validated.</summary>
        public void ValidateAtStart() => Services.GetRequiredService<IStartupValidator>().Validate();

        /// <summary>Every service and option AddPayConnectFunctions registers, and every function class, as the worker creates them.</summary>
        public void ResolveEverything()
        {
            using var scope = Services.CreateScope();
            var provider = scope.ServiceProvider;
            var optionTypes = new HashSet<Type>();
            foreach (var descriptor in _ours.Where(d => !d.ServiceType.IsGenericTypeDefinition))
            {
                _ = descriptor.IsKeyedService
                    ? provider.GetKeyedServices(descriptor.ServiceType, descriptor.ServiceKey).ToList()
                    : provider.GetServices(descriptor.ServiceType).ToList();
                if (descriptor.ServiceType.IsGenericType && OptionsInterfaces.Contains(descriptor.ServiceType.GetGenericTypeDefinition()))
                {
                    optionTypes.Add(descriptor.ServiceType.GetGenericArguments()[0]);
                }
            }

            Assert.Superset(SettingsBinding.Groups.Select(g => g.Options).ToHashSet(), optionTypes);
            foreach (var type in optionTypes)
            {
                var options = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(type));
                Assert.NotNull(options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options));
            }

            var functionClasses = typeof(FunctionsServiceCollectionExtensions).Assembly.GetTypes()
                .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
                .ToList();
            Assert.NotEmpty(functionClasses);
            Assert.All(functionClasses, t => Assert.NotNull(ActivatorUtilities.CreateInstance(provider, t)));
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_host is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync();
                }
                else
                {
                    _host.Dispose();
                }
            }
            finally
            {
                Restore(_saved);
            }
        }

        private static readonly Type[] OptionsInterfaces =
        [
            typeof(IConfigureOptions<>), typeof(IPostConfigureOptions<>), typeof(IValidateOptions<>), typeof(IOptionsChangeTokenSource<>),
        ];

        /// <summary>Removes every variable that would reach a PayConnect setting, so only the test's ones do.</summary>
        private static Dictionary<string, string?> ClearSettingsFromTheProcess()
        {
            var sections = SettingsBinding.Groups.Select(g => g.Section).Where(s => s.Length > 0).ToList();
            var cataloged = typeof(AppSettings).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Select(f => (string)f.GetRawConstantValue()!)
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
            var saved = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                var name = (string)entry.Key;
                if (cataloged.Contains(name)
                    || name.StartsWith("AZURE_FUNCTIONS_", StringComparison.OrdinalIgnoreCase)
                    || sections.Any(s => name.StartsWith(s + "__", StringComparison.OrdinalIgnoreCase) || name.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
                {
                    saved[name] = entry.Value as string;
                    Environment.SetEnvironmentVariable(name, null);
                }
            }

            return saved;
        }

        private static void Restore(Dictionary<string, string?> saved)
        {
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                var name = (string)entry.Key;
                if (!saved.ContainsKey(name) && IsOurs(name))
                {
                    Environment.SetEnvironmentVariable(name, null);
                }
            }

            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        private static bool IsOurs(string name) =>
            typeof(AppSettings).GetFields(BindingFlags.Public | BindingFlags.Static).Any(f => string.Equals((string)f.GetRawConstantValue()!, name, StringComparison.OrdinalIgnoreCase))
            || name.StartsWith("AzureWebJobsStorage__", StringComparison.Ordinal)
            || name.StartsWith("APPLICATIONINSIGHTS_", StringComparison.Ordinal);
    }
}
