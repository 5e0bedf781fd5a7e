// Azure Communication Services Email sends the Error-Failed AutoPay notifications; an Azure-managed domain
// needs no DNS work, so a new environment can send mail as soon as it is deployed.

import { resourceTags } from 'types.bicep'

@description('Name of the Communication Services resource (also the host name of its endpoint).')
param communicationServiceName string

@description('Name of the Email Communication Services resource.')
param emailServiceName string

@description('Where ACS stores data at rest, e.g. United States, Europe, UK.')
param dataLocation string

@description('Local part of the sender address; Azure-managed domains come with DoNotReply.')
param senderUsername string

@description('Tags applied to the ACS resources.')
param tags resourceTags

resource emailService 'Microsoft.Communication/emailServices@2025-05-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2025-05-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    // Entra tokens only: the app sends with its managed identity, so no access key can be used or leaked.
    disableLocalAuth: true
    linkedDomains: [
      managedDomain.id
    ]
  }
}

@description('Resource id of the Communication Services resource.')
output id string = communicationService.id

@description('Name of the Communication Services resource.')
output name string = communicationService.name

@description('Endpoint of the ACS REST API; the app reads it as Email__AcsEndpoint.')
output endpoint string = 'https://${communicationService.properties.hostName}'

@description('Domain shown to recipients in the From header.')
output fromSenderDomain string = managedDomain.properties.fromSenderDomain

@description('Sender address of notification emails; the app reads it as Email__SenderAddress.')
output senderAddress string = '${senderUsername}@${managedDomain.properties.fromSenderDomain}'
