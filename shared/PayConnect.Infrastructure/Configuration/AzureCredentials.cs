using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>The identity PayConnect uses for Azure services: the user-assigned managed identity named by AZURE_CLIENT_ID.</summary>
public static class AzureCredentials
{
    public static TokenCredential FromConfiguration(IConfiguration configuration)
    {
        var clientId = configuration[AppSettings.AzureClientId];
        return string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }
}
