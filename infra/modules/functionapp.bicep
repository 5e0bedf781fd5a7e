// The PayConnect function app on Flex Consumption (Linux, scale to zero). It runs as the user-assigned
// identity, reads secrets through Key Vault references, and sits behind App Service Authentication, whose
// X-MS-CLIENT-PRINCIPAL header the code trusts.

import { resourceTags } from 'types.bicep'

@description('Name of the function app (its host name is NAME.azurewebsites.net).')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region; it must offer Flex Consumption.')
param location string

@description('Tags applied to the plan and the app.')
param tags resourceTags

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID and the identity-based connection settings).')
param identityClientId string

@description('Name of the storage account used as host storage (AzureWebJobsStorage).')
param storageAccountName string

@description('URL of the blob container Flex Consumption deploys packages from.')
param deploymentContainerUrl string

@description('Application Insights connection string (an address; telemetry is authenticated with the identity).')
param applicationInsightsConnectionString string

@description('.NET version of the dotnet-isolated worker on Flex Consumption, e.g. 10.0.')
param runtimeVersion string

@description('Upper bound of on-demand instances per function group (HTTP, timers, ...) that Flex Consumption may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('Application (client) id of the Entra app registration that protects the API.')
param authClientId string

@description('Entra tenant id that issues the tokens.')
param authTenantId string

@description('Token audiences the API accepts, e.g. api://CLIENT-ID.')
param authAllowedAudiences string[]

@description('Client ids of the applications whose tokens the API accepts (the staff portal and the firms\' sync agents).')
@minLength(1)
param authAllowedClientApplications string[]

@description('Base URL of the staff portal: Email__PortalBaseUrl, and the one origin allowed by CORS.')
param portalBaseUrl string

@description('Name of the Key Vault the secret settings reference.')
param keyVaultName string

@description('Key Vault secret that holds the Stripe secret key.')
param stripeApiKeySecretName string

@description('Key Vault secret that holds the signing secret of the gateway-events endpoint (Stripe webhook secret).')
param gatewayWebhookSecretName string

@description('Table service URI of the PayConnect storage account.')
param tableServiceUri string

@description('Host name of the Service Bus namespace.')
param serviceBusFullyQualifiedNamespace string

@description('Name of the queue that carries due Auto-Pay runs.')
param runsQueueName string

@description('NCRONTAB (six fields, UTC) of the fan-out timer.')
param fanOutSchedule string

@description('NCRONTAB (six fields, UTC) of the daily due-index reconciliation.')
param reconciliationSchedule string

@description('NCRONTAB (six fields, UTC) of the run-queue drain.')
param runDrainSchedule string

@description('NCRONTAB (six fields, UTC) of the email outbox sender.')
param emailOutboxSchedule string

@description('NCRONTAB (six fields, UTC) of the payer notices.')
param payerNoticesSchedule string

@description('NCRONTAB (six fields, UTC) of the daily run summary.')
param runSummarySchedule string

@description('Key Vault secret that signs unsubscribe links.')
param unsubscribeKeySecretName string

@description('Public base URL of the API, for the unsubscribe links in emails.')
param apiPublicBaseUrl string

@description('Seconds one drain invocation may spend receiving runs.')
param runDrainTimeBudgetSeconds int

@description('Runs processed in parallel by one drain invocation.')
param runDrainMaxConcurrency int

@description('Payment gateway: Sandbox or Stripe.')
@allowed([
  'Sandbox'
  'Stripe'
])
param gatewayKind string

// The gateway's event deliveries come to /api/gateway/{gateway}/events, the gateway named as Gateway__Kind names it.
var gatewayEventsPath = toLower(gatewayKind)

@description('How many times a soft-declined run is retried on later days.')
param declinesMaxSoftDeclineRetries int

@description('Days between soft-decline retries.')
param declinesRetryAfterDays int

@description('Platform application fee on operating-account charges, in basis points; trust charges never carry one.')
@minValue(0)
@maxValue(1000)
param gatewayOperatingFeeBasisPoints int

@description('Sender address of notification emails (on the ACS managed domain).')
param emailSenderAddress string

@description('Endpoint of the Azure Communication Services resource.')
param acsEndpoint string

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: [
          portalBaseUrl
        ]
      }
      // Every name here is checked against PayConnect.Infrastructure's AppSettings by
      // tests/PayConnect.Infra.Tests: keep names literal.
      appSettings: [
        // Host storage through the identity (no connection string; the account refuses shared keys).
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storageAccountName
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: applicationInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        // PayConnect settings (see shared/PayConnect.Infrastructure/Configuration/AppSettings.cs).
        {
          name: 'Storage__TableServiceUri'
          value: tableServiceUri
        }
        {
          name: 'ServiceBus__FullyQualifiedNamespace'
          value: serviceBusFullyQualifiedNamespace
        }
        {
          name: 'ServiceBus__RunsQueue'
          value: runsQueueName
        }
        {
          name: 'AZURE_CLIENT_ID'
          value: identityClientId
        }
        {
          name: 'FanOutSchedule'
          value: fanOutSchedule
        }
        {
          name: 'ReconciliationSchedule'
          value: reconciliationSchedule
        }
        {
          name: 'RunDrainSchedule'
          value: runDrainSchedule
        }
        {
          name: 'EmailOutboxSchedule'
          value: emailOutboxSchedule
        }
        {
          name: 'PayerNoticesSchedule'
          value: payerNoticesSchedule
        }
        {
          name: 'RunSummarySchedule'
          value: runSummarySchedule
        }
        {
          name: 'RunDrain__TimeBudgetSeconds'
          value: string(runDrainTimeBudgetSeconds)
        }
        {
          name: 'RunDrain__MaxConcurrency'
          value: string(runDrainMaxConcurrency)
        }
        {
          name: 'Runs__MmsRetryDelays'
          value: '00:01:00,00:05:00,00:15:00,01:00:00'
        }
        {
          name: 'Runs__GatewayRetryDelays'
          value: '00:00:30,00:02:00,00:10:00'
        }
        {
          name: 'Auth__Mode'
          value: 'AppServiceAuthentication'
        }
        {
          name: 'Gateway__Kind'
          value: gatewayKind
        }
        {
          name: 'Gateway__StripeApiKey'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${stripeApiKeySecretName})'
        }
        {
          name: 'Gateway__WebhookSecret'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${gatewayWebhookSecretName})'
        }
        {
          name: 'Gateway__OperatingFeeBasisPoints'
          value: string(gatewayOperatingFeeBasisPoints)
        }
        {
          name: 'Declines__MaxSoftDeclineRetries'
          value: string(declinesMaxSoftDeclineRetries)
        }
        {
          name: 'Declines__RetryAfterDays'
          value: string(declinesRetryAfterDays)
        }
        {
          name: 'Email__Transport'
          value: 'Acs'
        }
        {
          name: 'Email__SenderAddress'
          value: emailSenderAddress
        }
        {
          name: 'Email__AcsEndpoint'
          value: acsEndpoint
        }
        {
          name: 'Email__PortalBaseUrl'
          value: portalBaseUrl
        }
        {
          name: 'Notifications__UnsubscribeKey'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${unsubscribeKeySecretName})'
        }
        {
          name: 'Notifications__PublicBaseUrl'
          value: apiPublicBaseUrl
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

// Every request must carry an Entra token for the API's app registration, obtained by the portal or a firm's
// sync agent; the platform then hands the caller to the code in X-MS-CLIENT-PRINCIPAL. An API answers 401
// rather than redirecting to a login page (403 for a token from another client). Only two paths are reachable
// without a token: the health probe, which reports nothing but a status per dependency, and the gateway's event
// deliveries, which the code accepts only when signed with the webhook secret.
resource authSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      // The health probe, the gateway's signed event deliveries, and the unsubscribe link of every email (its signed token is its only authority).
      excludedPaths: [
        '/api/health'
        '/api/gateway/${gatewayEventsPath}/events'
        '/api/unsubscribe'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: authAllowedAudiences
          defaultAuthorizationPolicy: {
            allowedApplications: authAllowedClientApplications
          }
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

@description('Resource id of the function app.')
output id string = site.id

@description('Name of the function app.')
output name string = site.name

@description('Default host name of the function app.')
output defaultHostName string = site.properties.defaultHostName

@description('Name of the Flex Consumption plan.')
output planName string = plan.name
