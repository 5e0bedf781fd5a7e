// Logs and telemetry: a Log Analytics workspace and a workspace-based Application Insights that accepts only
// Entra-authenticated telemetry (the function app sends it with its managed identity).

import { resourceTags } from 'types.bicep'

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region of both resources.')
param location string

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Tags applied to both resources.')
param tags resourceTags

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsId string = workspace.id

@description('Name of the Log Analytics workspace.')
output logAnalyticsName string = workspace.name

@description('Resource id of Application Insights (scope of the metrics-publisher role assignment).')
output applicationInsightsId string = applicationInsights.id

@description('Name of Application Insights.')
output applicationInsightsName string = applicationInsights.name

@description('Connection string of Application Insights: an address, not a credential, since local auth is off.')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
