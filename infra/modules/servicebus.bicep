// The queue of due Auto-Pay runs: duplicate detection on MessageId (the run key) keeps a run from being
// queued twice; local (SAS) auth is off so only Entra identities can send or receive.

import { resourceTags } from 'types.bicep'

@description('Service Bus namespace name: 6-50 letters, digits and hyphens, globally unique.')
@minLength(6)
@maxLength(50)
param name string

@description('Azure region of the namespace.')
param location string

@description('Tags applied to the namespace.')
param tags resourceTags

@description('Name of the queue that carries due Auto-Pay runs (the app reads it as ServiceBus__RunsQueue).')
param runsQueueName string

@description('How long a queued run survives before it is dead-lettered, as an ISO 8601 duration.')
param runsMessageTimeToLive string

resource namespace 'Microsoft.ServiceBus/namespaces@2026-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    // Duplicate detection needs Standard or Premium.
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource runsQueue 'Microsoft.ServiceBus/namespaces/queues@2026-01-01' = {
  parent: namespace
  name: runsQueueName
  properties: {
    // Set explicitly: the documented defaults differ, and duplicate detection can only be set at creation.
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    maxDeliveryCount: 10
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: runsMessageTimeToLive
    requiresSession: false
    enablePartitioning: false
  }
}

@description('Resource id of the namespace.')
output id string = namespace.id

@description('Name of the namespace.')
output name string = namespace.name

@description('Host name of the namespace; the app reads it as ServiceBus__FullyQualifiedNamespace.')
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]

@description('Name of the runs queue.')
output runsQueueName string = runsQueue.name

@description('Resource id of the runs queue (scope of the send/receive role assignments).')
output runsQueueId string = runsQueue.id
