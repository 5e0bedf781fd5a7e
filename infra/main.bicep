// PayConnect: one resource group per environment. Deploy with
//   az deployment group create -g RG -f infra/main.bicep -p infra/main.dev.bicepparam
// then add the Key Vault secrets and publish the function app (docs/deploy.md).

import { resourceTags } from 'modules/types.bicep'

@description('Environment short name; part of every resource name.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Azure region for regional resources; it must offer Flex Consumption. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Lowercase letters and digits that start every resource name.')
@minLength(3)
@maxLength(10)
param namePrefix string = 'payconnect'

@description('Extra tags for every resource; environment and workload tags are always added.')
param tags resourceTags = {}

@description('.NET version of the dotnet-isolated worker on Flex Consumption (the code targets net10.0).')
param functionsRuntimeVersion string = '10.0'

@description('Upper bound of on-demand instances per function group (HTTP, timers, ...) that Flex Consumption may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Storage redundancy SKU of the PayConnect storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Application (client) id of the Entra app registration that protects the API (created beforehand; see docs/deploy.md).')
@minLength(36)
@maxLength(36)
param authClientId string

@description('Entra tenant id that issues the API tokens. Defaults to the deployment\'s tenant.')
param authTenantId string = tenant().tenantId

@description('Token audiences the API accepts. Empty means api://CLIENT-ID and the client id itself.')
param authAllowedAudiences string[] = []

@description('Application (client) id of the staff portal\'s app registration: user tokens are accepted only when obtained by it (see docs/deploy.md).')
@minLength(36)
@maxLength(36)
param portalClientId string

@description('Application (client) ids of the firms\' sync agents, one app registration per firm: the only daemon clients whose tokens are accepted. Add a firm\'s agent here and redeploy when the firm is onboarded.')
param syncAgentClientIds string[] = []

@description('Base URL of the staff portal (links in emails, and the origin allowed by CORS), e.g. https://portal.example.com.')
@minLength(8)
param portalBaseUrl string

@description('Payment gateway: Sandbox (test tokens only) or Stripe (needs the StripeApiKey secret).')
@allowed([
  'Sandbox'
  'Stripe'
])
param gatewayKind string = 'Sandbox'

@description('Name of the Service Bus queue that carries due Auto-Pay runs.')
param runsQueueName string = 'autopay-runs'

@description('How long a queued run waits before it is dead-lettered, as an ISO 8601 duration.')
param runsMessageTimeToLive string = 'P14D'

@description('NCRONTAB (six fields, UTC) of the fan-out timer that queues due runs.')
param fanOutSchedule string = '0 */5 * * * *'

@description('NCRONTAB (six fields, UTC) of the daily reconciliation that repairs the due index from the schedules.')
param reconciliationSchedule string = '0 30 3 * * *'

@description('NCRONTAB (six fields, UTC) of the drain that receives and executes queued runs.')
param runDrainSchedule string = '*/30 * * * * *'

@description('NCRONTAB (six fields, UTC) of the email outbox sender.')
param emailOutboxSchedule string = '0 * * * * *'

@description('NCRONTAB (six fields, UTC) of the payer notices (pre-charge notices and expiry warnings).')
param payerNoticesSchedule string = '0 15 * * * *'

@description('NCRONTAB (six fields, UTC) of the daily run summary: hourly, so each firm gets its digest soon after its own midnight.')
param runSummarySchedule string = '0 5 * * * *'

@description('Public base URL of the API for the unsubscribe links in emails (a custom domain); empty means the app\'s own host name (WEBSITE_HOSTNAME).')
param apiPublicBaseUrl string = ''

@description('Seconds one drain invocation may spend receiving runs (below the 10-minute function timeout).')
@minValue(10)
@maxValue(540)
param runDrainTimeBudgetSeconds int = 240

@description('Runs processed in parallel by one drain invocation.')
@minValue(1)
@maxValue(64)
param runDrainMaxConcurrency int = 4

@description('How many times a soft-declined run is retried on later days.')
@minValue(0)
@maxValue(10)
param declinesMaxSoftDeclineRetries int = 3

@description('Days between soft-decline retries.')
@minValue(1)
@maxValue(30)
param declinesRetryAfterDays int = 2

@description('Platform application fee on operating-account charges, in basis points (recovers Stripe\'s fees); trust charges never carry one.')
@minValue(0)
@maxValue(1000)
param gatewayOperatingFeeBasisPoints int = 0

@description('Where Azure Communication Services stores data at rest, e.g. United States, Europe, UK.')
param acsDataLocation string = 'United States'

@description('Local part of the notification sender address on the Azure-managed email domain.')
param emailSenderUsername string = 'DoNotReply'

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Days a deleted Key Vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Turn on Key Vault purge protection (irreversible; recommended for prod).')
param keyVaultPurgeProtection bool = false

@description('Email address that receives PayConnect\'s alerts (the on-call rota\'s mailbox); each alert names its docs/runbook.md section.')
@minLength(3)
param onCallEmail string

@description('Failed Auto-Pay runs in an hour above which on-call is alerted.')
@minValue(0)
param alertFailedRunsPerHour int = 5

@description('Minutes the oldest due run may wait to be sent before on-call is alerted.')
@minValue(15)
param alertDueLagMinutes int = 60

@description('Minutes the oldest failure email may wait in the outbox before on-call is alerted.')
@minValue(15)
param alertOutboxAgeMinutes int = 60

@description('Object id of a user or group allowed to add and rotate the Key Vault secrets; empty assigns nobody.')
param vaultOperatorPrincipalId string = ''

@description('Kind of principal in vaultOperatorPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param vaultOperatorPrincipalType string = 'User'

// Globally unique names need a suffix; this one is stable for a given resource group and environment.
var suffix = take(uniqueString(resourceGroup().id, namePrefix, environmentName), 5)
var baseName = '${namePrefix}-${environmentName}'
var allTags = union(tags, {
  workload: 'payconnect'
  environment: environmentName
})
var deploymentContainerName = 'app-package'
// Names are computed here, not read from module outputs, so what-if can predict every resource id.
var names = {
  identity: 'id-${baseName}'
  storage: toLower('st${namePrefix}${environmentName}${suffix}')
  serviceBus: 'sb-${baseName}-${suffix}'
  communication: 'acs-${baseName}-${suffix}'
  emailService: 'ecs-${baseName}-${suffix}'
  logAnalytics: 'log-${baseName}-${suffix}'
  applicationInsights: 'appi-${baseName}-${suffix}'
  keyVault: 'kv-${baseName}-${suffix}'
  plan: 'asp-${baseName}-${suffix}'
  functionApp: 'func-${baseName}-${suffix}'
}
// App Service Authentication answers 403 to a token obtained by any other client application.
var allowedClientApplications = concat([portalClientId], syncAgentClientIds)
var audiences = empty(authAllowedAudiences)
  ? [
      'api://${authClientId}'
      authClientId
    ]
  : authAllowedAudiences

// The function app's only identity; every other resource grants it data-plane roles.
module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: allTags
  }
}

// PayConnect tables, Functions host storage and deployment packages, all reached with the identity.
module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: allTags
    deploymentContainerName: deploymentContainerName
    skuName: storageSkuName
  }
}

// The queue of due runs that the fan-out fills and the drain empties.
module serviceBus 'modules/servicebus.bicep' = {
  name: 'serviceBus'
  params: {
    name: names.serviceBus
    location: location
    tags: allTags
    runsQueueName: runsQueueName
    runsMessageTimeToLive: runsMessageTimeToLive
  }
}

// Email for failure notifications.
module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    communicationServiceName: names.communication
    emailServiceName: names.emailService
    dataLocation: acsDataLocation
    senderUsername: emailSenderUsername
    tags: allTags
  }
}

// Logs and telemetry for operators.
module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    retentionInDays: logRetentionInDays
    tags: allTags
  }
}

// What pages on-call, each alert naming its docs/runbook.md section.
module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    baseName: baseName
    location: location
    tags: allTags
    onCallEmail: onCallEmail
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    serviceBusNamespaceId: serviceBus.outputs.id
    runsQueueName: serviceBus.outputs.runsQueueName
    failedRunsPerHour: alertFailedRunsPerHour
    dueLagMinutes: alertDueLagMinutes
    outboxAgeMinutes: alertOutboxAgeMinutes
  }
}

// The Stripe secret, added by operators after the first deployment (email uses the identity, no secret).
module keyVault 'modules/keyvault.bicep' = {
  name: 'keyVault'
  params: {
    name: names.keyVault
    location: location
    tags: allTags
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

// Data-plane roles for the identity, in place before the app first starts.
module roles 'modules/roles.bicep' = {
  name: 'roles'
  dependsOn: [
    identity
    storage
    serviceBus
    keyVault
    monitoring
    communication
  ]
  params: {
    identityName: names.identity
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    runsQueueName: runsQueueName
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
    communicationServiceName: names.communication
    vaultOperatorPrincipalId: vaultOperatorPrincipalId
    vaultOperatorPrincipalType: vaultOperatorPrincipalType
  }
}

// The PayConnect functions themselves, configured entirely from the resources above.
module functionApp 'modules/functionapp.bicep' = {
  name: 'functionApp'
  dependsOn: [
    roles
  ]
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: allTags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    runtimeVersion: functionsRuntimeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    authClientId: authClientId
    authTenantId: authTenantId
    authAllowedAudiences: audiences
    authAllowedClientApplications: allowedClientApplications
    portalBaseUrl: portalBaseUrl
    keyVaultName: keyVault.outputs.name
    stripeApiKeySecretName: keyVault.outputs.stripeApiKeySecretName
    gatewayWebhookSecretName: keyVault.outputs.gatewayWebhookSecretName
    unsubscribeKeySecretName: keyVault.outputs.unsubscribeKeySecretName
    apiPublicBaseUrl: apiPublicBaseUrl
    tableServiceUri: storage.outputs.tableEndpoint
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    runsQueueName: serviceBus.outputs.runsQueueName
    fanOutSchedule: fanOutSchedule
    reconciliationSchedule: reconciliationSchedule
    runDrainSchedule: runDrainSchedule
    emailOutboxSchedule: emailOutboxSchedule
    payerNoticesSchedule: payerNoticesSchedule
    runSummarySchedule: runSummarySchedule
    runDrainTimeBudgetSeconds: runDrainTimeBudgetSeconds
    runDrainMaxConcurrency: runDrainMaxConcurrency
    gatewayKind: gatewayKind
    declinesMaxSoftDeclineRetries: declinesMaxSoftDeclineRetries
    declinesRetryAfterDays: declinesRetryAfterDays
    gatewayOperatingFeeBasisPoints: gatewayOperatingFeeBasisPoints
    emailSenderAddress: communication.outputs.senderAddress
    acsEndpoint: communication.outputs.endpoint
  }
}

@description('Name of the function app (target of the code deployment).')
output functionAppName string = functionApp.outputs.name

@description('Base URL of the PayConnect HTTP API.')
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'

@description('Client id of the managed identity the app runs as.')
output identityClientId string = identity.outputs.clientId

@description('Principal (object) id of the managed identity, for extra role assignments.')
output identityPrincipalId string = identity.outputs.principalId

@description('Name of the storage account (PayConnect tables and host storage).')
output storageAccountName string = storage.outputs.name

@description('Table service URI (Storage__TableServiceUri).')
output tableServiceUri string = storage.outputs.tableEndpoint

@description('Blob container the function app is deployed from.')
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl

@description('Service Bus namespace host name (ServiceBus__FullyQualifiedNamespace).')
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace

@description('Name of the runs queue.')
output runsQueueName string = serviceBus.outputs.runsQueueName

@description('Name of the Key Vault where operators add the secrets.')
output keyVaultName string = keyVault.outputs.name

@description('URI of the Key Vault.')
output keyVaultUri string = keyVault.outputs.uri

@description('Key Vault secrets the operators must add: the app settings referencing them stay unresolved until then.')
output keyVaultSecretNames string[] = [
  keyVault.outputs.stripeApiKeySecretName
  keyVault.outputs.gatewayWebhookSecretName
  keyVault.outputs.unsubscribeKeySecretName
]

@description('Name of the Communication Services resource (the identity sends email through it by Entra token).')
output communicationServiceName string = communication.outputs.name

@description('ACS endpoint (Email__AcsEndpoint).')
output acsEndpoint string = communication.outputs.endpoint

@description('Sender address of notification emails (Email__SenderAddress).')
output emailSenderAddress string = communication.outputs.senderAddress

@description('Name of Application Insights, where the app\'s logs and traces go.')
output applicationInsightsName string = monitoring.outputs.applicationInsightsName

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = monitoring.outputs.logAnalyticsId

@description('Resource id of the action group that emails on-call.')
output onCallActionGroupId string = alerts.outputs.actionGroupId

@description('Names of the alert rules (docs/runbook.md has a section for each).')
output alertRuleNames string[] = alerts.outputs.alertRuleNames
