// Holds the payment gateway and email secrets. The template creates no secret: operators add them after the
// first deployment, and the function app reads them through Key Vault references.

import { resourceTags } from 'types.bicep'

@description('Key Vault name: 3-24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags resourceTags

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Turn on purge protection: deleted secrets cannot be purged before the retention ends. Cannot be turned off again.')
param enablePurgeProtection bool

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // Key Vault rejects false here; leaving the property out is how "off" is said.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

@description('Resource id of the vault.')
output id string = vault.id

@description('Name of the vault.')
output name string = vault.name

@description('URI of the vault.')
output uri string = vault.properties.vaultUri

@description('Secret holding the Stripe secret API key (Gateway__StripeApiKey reads it).')
output stripeApiKeySecretName string = 'StripeApiKey'

@description('Secret holding the signing secret of the gateway-events endpoint (Gateway__WebhookSecret reads it): Stripe\'s webhook endpoint secret, whsec_...')
output gatewayWebhookSecretName string = 'GatewayWebhookSecret'

@description('Secret holding the key that signs unsubscribe links (Notifications__UnsubscribeKey reads it).')
output unsubscribeKeySecretName string = 'UnsubscribeKey'
