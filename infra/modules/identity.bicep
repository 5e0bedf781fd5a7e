// The one identity the function app uses for storage, Service Bus, Key Vault and telemetry.

import { resourceTags } from 'types.bicep'

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region of the identity.')
param location string

@description('Tags applied to the identity.')
param tags resourceTags

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource id of the identity.')
output id string = identity.id

@description('Name of the identity.')
output name string = identity.name

@description('Client (application) id; the app reads it as AZURE_CLIENT_ID.')
output clientId string = identity.properties.clientId

@description('Object (principal) id, the subject of the role assignments.')
output principalId string = identity.properties.principalId
