using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PayConnect.Infra.Tests;

/// <summary>
/// The function app's app settings as a deployment of infra/main.bicep would give them: names exactly as the
/// compiled template sets them, values worked out from its expressions. Parameters take the values a parameter
/// file would pass (else the template's defaults); module outputs and Key Vault references, which only Azure
/// can produce, take plausible values of the same shape, so that every setting is checked by the code that
/// reads it. An expression this class does not know fails the test, rather than being guessed.
/// </summary>
internal static partial class DeployedAppSettings
{
    /// <summary>What the modules output in a real deployment (names follow main.bicep's naming scheme).</summary>
    private static readonly Dictionary<string, string> ModuleOutputs = new(StringComparer.Ordinal)
    {
        ["identity.clientId"] = "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ["storage.name"] = "stpayconnectdevk3x7q",
        ["storage.tableEndpoint"] = "https://stpayconnectdevk3x7q.table.core.windows.net/",
        ["storage.deploymentContainerUrl"] = "https://stpayconnectdevk3x7q.blob.core.windows.net/app-package",
        ["serviceBus.fullyQualifiedNamespace"] = "sb-payconnect-dev-k3x7q.servicebus.windows.net",
        ["serviceBus.runsQueueName"] = "autopay-runs",
        ["communication.senderAddress"] = "DoNotReply@0f3a6c1e-2b4d-4e8f-9a1b-3c5d7e9f1a2b.azurecomm.net",
        ["communication.endpoint"] = "https://acs-payconnect-dev-k3x7q.unitedstates.communication.azure.com",
        ["monitoring.applicationInsightsConnectionString"] =
            "InstrumentationKey=5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/",
        ["keyVault.name"] = "kv-payconnect-dev-k3x7q",
        ["keyVault.stripeApiKeySecretName"] = "StripeApiKey",
        ["keyVault.gatewayWebhookSecretName"] = "GatewayWebhookSecret",
        ["keyVault.unsubscribeKeySecretName"] = "UnsubscribeKey",
        ["keyVault.acsAccessKeySecretName"] = "AcsAccessKey",
    };

    /// <summary>
    /// Resolves every app setting of the function app. <paramref name="parameters"/> are main.bicep parameters as a
    /// parameter file passes them; <paramref name="secrets"/> replace Key Vault references by secret name.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Resolve(
        JsonObject mainTemplate,
        IReadOnlyDictionary<string, string> parameters,
        IReadOnlyDictionary<string, string> secrets)
    {
        var deployment = ArmTemplate.Resources(mainTemplate, "Microsoft.Resources/deployments")
            .Single(d => d["properties"]?["template"] is JsonObject nested && ArmTemplate.Resources(nested, "Microsoft.Web/sites").Any());
        var moduleTemplate = deployment["properties"]!["template"]!.AsObject();
        var moduleParameters = deployment["properties"]!["parameters"]!.AsObject();

        string ModuleParameter(string name)
        {
            var passed = moduleParameters[name]?["value"]?.ToString()
                ?? Fail<string>($"The function app module gets no value for parameter '{name}'.");
            return Main(passed);
        }

        string Main(string expression)
        {
            if (!expression.StartsWith('['))
            {
                return expression;
            }

            if (MainParameter().Match(expression) is { Success: true } p)
            {
                var name = p.Groups[1].Value;
                if (parameters.TryGetValue(name, out var given))
                {
                    return given;
                }

                var definition = mainTemplate["parameters"]?[name] ?? Fail<JsonNode>($"main.bicep has no parameter '{name}'.");
                return definition["defaultValue"]?.ToString() is { } fallback && !fallback.StartsWith('[')
                    ? fallback
                    : Fail<string>($"Give main.bicep's parameter '{name}' a value in the test (it has no literal default).");
            }

            if (ModuleOutput().Match(expression) is { Success: true } o)
            {
                var key = $"{o.Groups[1].Value}.{o.Groups[2].Value}";
                return ModuleOutputs.TryGetValue(key, out var output)
                    ? output
                    : Fail<string>($"No plausible value for the module output {key}; add one to {nameof(DeployedAppSettings)}.");
            }

            return Fail<string>($"Cannot evaluate '{expression}' passed to the function app module.");
        }

        string Setting(string name, string expression)
        {
            if (!expression.StartsWith('['))
            {
                return expression;
            }

            if (Parameter().Match(expression) is { Success: true } p)
            {
                return ModuleParameter(p.Groups[1].Value);
            }

            if (StringOfParameter().Match(expression) is { Success: true } s)
            {
                return ModuleParameter(s.Groups[1].Value);
            }

            if (KeyVaultReference().Match(expression) is { Success: true } k)
            {
                // In Azure the platform resolves the reference before the worker starts and the code sees the secret.
                var secretName = ModuleParameter(k.Groups[2].Value);
                _ = ModuleParameter(k.Groups[1].Value);
                return secrets.TryGetValue(secretName, out var secret)
                    ? secret
                    : Fail<string>($"{name} references the Key Vault secret '{secretName}'; give the test a plausible value.");
            }

            if (FormatOfOneParameter().Match(expression) is { Success: true } f)
            {
                return f.Groups[1].Value.Replace("{0}", ModuleParameter(f.Groups[2].Value), StringComparison.Ordinal);
            }

            return Fail<string>($"Cannot evaluate the app setting {name} = {expression}; teach {nameof(DeployedAppSettings)} this expression.");
        }

        return ArmTemplate.FunctionAppSettings(mainTemplate)
            .ToDictionary(s => s.Key, s => Setting(s.Key, s.Value), StringComparer.Ordinal);
    }

    private static T Fail<T>(string message) => throw new Xunit.Sdk.XunitException(message);

    /// <summary>A base64 key of the length ACS access keys have.</summary>
    public static string PlausibleAcsAccessKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));

    /// <summary>A Stripe test secret key of the usual shape.</summary>
    public static string PlausibleStripeKey() => "sk_test_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    [GeneratedRegex(@"^\[parameters\('([^']+)'\)\]$")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^\[string\(parameters\('([^']+)'\)\)\]$")]
    private static partial Regex StringOfParameter();

    [GeneratedRegex(@"^\[format\('@Microsoft\.KeyVault\(VaultName=\{0\};SecretName=\{1\}\)', parameters\('([^']+)'\), parameters\('([^']+)'\)\)\]$")]
    private static partial Regex KeyVaultReference();

    [GeneratedRegex(@"^\[format\('([^']*)', parameters\('([^']+)'\)\)\]$")]
    private static partial Regex FormatOfOneParameter();

    [GeneratedRegex(@"^\[parameters\('([^']+)'\)\]$")]
    private static partial Regex MainParameter();

    [GeneratedRegex(@"^\[reference\('([^']+)'\)\.outputs\.([A-Za-z0-9_]+)\.value\]$")]
    private static partial Regex ModuleOutput();
}
