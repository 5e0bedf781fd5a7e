namespace PayConnect.Infra.Tests;

/// <summary>infra/ holds no secrets and documents every parameter it takes.</summary>
[Collection(BicepCompilationCollection.Name)]
public sealed class InfraHygieneTests(BicepCompilation compilation)
{
    [Fact]
    public void InfraFiles_ContainNoSecretLookingValues()
    {
        var findings = Directory.EnumerateFiles(TestEnvironment.InfraDirectory, "*", SearchOption.AllDirectories)
            .SelectMany(file => SecretScanner.Find(File.ReadAllText(file))
                .Select(finding => $"{Path.GetRelativePath(TestEnvironment.RepositoryRoot, file)}: {finding}"))
            .ToList();

        Assert.True(findings.Count == 0, "Possible secrets in infra/:\n" + string.Join("\n", findings));
    }

    [Fact]
    public void EveryBicepParameter_HasADescription()
    {
        Assert.Contains("infra/main.bicep", compilation.Templates.Keys);
        var undocumented = compilation.Templates
            .SelectMany(template => ArmTemplate.Parameters(template.Value)
                .Where(p => string.IsNullOrWhiteSpace(p.Definition["metadata"]?["description"]?.ToString()))
                .Select(p => $"{template.Key}: param {p.Name}"))
            .ToList();

        Assert.True(undocumented.Count == 0, "Parameters without @description:\n" + string.Join("\n", undocumented));
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;Account" + "Key=abc")]
    [InlineData("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccess" + "Key=abc")]
    [InlineData("endpoint=https://x.communication.azure.com/;access" + "key=abc")]
    [InlineData("stripe: sk_" + "live_51Habcdefghijklmnop")]
    [InlineData("stripe: sk_" + "test_51Habcdefghijklmnop")]
    [InlineData("https://x.blob.core.windows.net/c?sv=2022-11-02&s" + "ig=AbCdEf0123456789%2B")]
    [InlineData("key: 'q8Vh1Xr0Zp3Lk7Tn5Wm2Bc9Dg4Fj6Hs8Yu1Ie3Oa5Ql7Rt='")]
    public void SecretScanner_FlagsCredentialShapes(string text)
    {
        Assert.NotEmpty(SecretScanner.Find(text));
    }

    [Theory]
    [InlineData("resource x 'Microsoft.Communication/emailServices/domains/senderUsernames@2025-05-01'")]
    [InlineData("roleDefinitionId: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'")]
    [InlineData("value: '@Microsoft.KeyVault(VaultName=kv;SecretName=AcsAccessKey)'")]
    [InlineData("param authClientId = readEnvironmentVariable('PAYCONNECT_DEV_AUTH_CLIENT_ID')")]
    public void SecretScanner_LeavesOrdinaryTemplateTextAlone(string text)
    {
        Assert.Empty(SecretScanner.Find(text));
    }
}
