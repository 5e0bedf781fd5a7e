using System.Text.Json.Nodes;

namespace PayConnect.Infra.Tests;

/// <summary>Properties of the deployed resources that the product's guarantees rest on.</summary>
[Collection(BicepCompilationCollection.Name)]
public sealed class SecurityPostureTests(BicepCompilation compilation)
{
    private JsonObject Properties(string type) =>
        ArmTemplate.Single(compilation.MainTemplate, type)["properties"]!.AsObject();

    [Fact]
    public void RunsQueue_DropsDuplicateRunKeysAndDeadLettersPoisonRuns()
    {
        var queue = Properties("Microsoft.ServiceBus/namespaces/queues");

        Assert.True(queue["requiresDuplicateDetection"]!.GetValue<bool>());
        Assert.Equal("PT10M", queue["duplicateDetectionHistoryTimeWindow"]!.GetValue<string>());
        Assert.Equal(10, queue["maxDeliveryCount"]!.GetValue<int>());
        Assert.Equal("PT1M", queue["lockDuration"]!.GetValue<string>());
        Assert.True(queue["deadLetteringOnMessageExpiration"]!.GetValue<bool>());
    }

    [Fact]
    public void DataServices_AcceptOnlyEntraIdentities()
    {
        Assert.False(Properties("Microsoft.Storage/storageAccounts")["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.True(Properties("Microsoft.ServiceBus/namespaces")["disableLocalAuth"]!.GetValue<bool>());
        Assert.True(Properties("Microsoft.Insights/components")["DisableLocalAuth"]!.GetValue<bool>());
        Assert.True(Properties("Microsoft.KeyVault/vaults")["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(Properties("Microsoft.Communication/communicationServices")["disableLocalAuth"]!.GetValue<bool>());
    }

    [Fact]
    public void FunctionApp_RejectsUnauthenticatedAndPlainHttpRequests()
    {
        Assert.True(Properties("Microsoft.Web/sites")["httpsOnly"]!.GetValue<bool>());

        var auth = Properties("Microsoft.Web/sites/config");
        Assert.True(auth["platform"]!["enabled"]!.GetValue<bool>());
        Assert.True(auth["globalValidation"]!["requireAuthentication"]!.GetValue<bool>());
        Assert.Equal("Return401", auth["globalValidation"]!["unauthenticatedClientAction"]!.GetValue<string>());
        Assert.True(auth["identityProviders"]!["azureActiveDirectory"]!["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public void FunctionApp_AcceptsTokensOnlyFromThePortalAndTheFirmsSyncAgents()
    {
        var policy = Properties("Microsoft.Web/sites/config")["identityProviders"]!["azureActiveDirectory"]!["validation"]!["defaultAuthorizationPolicy"]!;
        Assert.Equal("[parameters('authAllowedClientApplications')]", policy["allowedApplications"]!.ToString());

        // The module gets exactly the portal's client id and the sync agents' ones, both main-template parameters.
        var functionApp = FunctionAppDeployment();
        var passed = functionApp["properties"]!["parameters"]!["authAllowedClientApplications"]!["value"]!.ToString();
        Assert.Equal("[variables('allowedClientApplications')]", passed);
        var variable = compilation.MainTemplate["variables"]!["allowedClientApplications"]!.ToString();
        Assert.Equal("[concat(createArray(parameters('portalClientId')), parameters('syncAgentClientIds'))]", variable);

        var parameters = compilation.MainTemplate["parameters"]!.AsObject();
        Assert.Equal(36, parameters["portalClientId"]!["minLength"]!.GetValue<int>());
        Assert.Equal("array", parameters["syncAgentClientIds"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void HealthProbeSignedGatewayEventsAndUnsubscribeLink_AreTheOnlyPathsReachableWithoutAToken()
    {
        var excluded = Properties("Microsoft.Web/sites/config")["globalValidation"]!["excludedPaths"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();

        // The gateway's event path, for the gateway Gateway__Kind names; the code accepts only signed deliveries there.
        // The unsubscribe page and its button share one path (GET asks, POST unsubscribes); the signed token is its authority.
        var unsubscribe = typeof(PayConnect.Functions.Notifications.UnsubscribeFunctions);
        Assert.Equal(PathOf(unsubscribe, "Show"), PathOf(unsubscribe, "Apply"));
        Assert.Equal([HealthPath(), $"[format('{GatewayEventsPath()}', variables('gatewayEventsPath'))]", PathOf(unsubscribe, "Show")], excluded);
    }

    /// <summary>/ROUTEPREFIX/gateway/{0}/events: the gateway-events function's route with its gateway as a format slot.</summary>
    private static string GatewayEventsPath()
    {
        var trigger = typeof(PayConnect.Functions.Gateway.GatewayEventsFunction).GetMethod("Run")!.GetParameters()
            .SelectMany(p => p.GetCustomAttributes(typeof(Microsoft.Azure.Functions.Worker.HttpTriggerAttribute), false).OfType<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>())
            .Single();
        return "/api/" + trigger.Route!.Replace("{gateway}", "{0}", StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterFiles_ReadTheAllowedClientApplicationsFromTheEnvironment()
    {
        foreach (var (file, environment) in new[] { ("main.dev.bicepparam", "DEV"), ("main.prod.bicepparam", "PROD") })
        {
            var text = File.ReadAllText(Path.Combine(TestEnvironment.InfraDirectory, file));
            Assert.Contains($"param portalClientId = readEnvironmentVariable('PAYCONNECT_{environment}_PORTAL_CLIENT_ID')", text, StringComparison.Ordinal);
            Assert.Contains($"readEnvironmentVariable('PAYCONNECT_{environment}_SYNC_AGENT_CLIENT_IDS', '')", text, StringComparison.Ordinal);
        }
    }

    private JsonObject FunctionAppDeployment() =>
        ArmTemplate.Resources(compilation.MainTemplate, "Microsoft.Resources/deployments")
            .Single(d => d["properties"]?["template"] is JsonObject nested && ArmTemplate.Resources(nested, "Microsoft.Web/sites").Any());

    /// <summary>/ROUTEPREFIX/ROUTE of the Health function, from host.json and the function's trigger.</summary>
    private static string HealthPath() => PathOf(typeof(PayConnect.Functions.Health.HealthFunction), "Run");

    /// <summary>/ROUTEPREFIX/ROUTE of an anonymous function, from host.json and the function's trigger.</summary>
    private static string PathOf(Type functionClass, string method)
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "host.json")))!;
        var prefix = host["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() ?? "api";
        var trigger = functionClass.GetMethod(method)!.GetParameters()
            .Select(p => p.GetCustomAttributes(typeof(Microsoft.Azure.Functions.Worker.HttpTriggerAttribute), false).OfType<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>().SingleOrDefault())
            .OfType<Microsoft.Azure.Functions.Worker.HttpTriggerAttribute>()
            .Single();
        Assert.Equal(Microsoft.Azure.Functions.Worker.AuthorizationLevel.Anonymous, trigger.AuthLevel);
        return "/" + string.Join('/', new[] { prefix, trigger.Route! }.Where(p => p.Length > 0));
    }
}
