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
}
