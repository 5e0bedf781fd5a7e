using Azure.Core;
using Azure.Identity;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>The identity PayConnect uses for Azure services: the user-assigned managed identity named by AZURE_CLIENT_ID.</summary>
public static class AzureCredentials
{
    public static TokenCredential From(AzureOptions azure)
    {
        ArgumentNullException.ThrowIfNull(azure);
        return string.IsNullOrWhiteSpace(azure.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = azure.ManagedIdentityClientId.Trim() });
    }
}
