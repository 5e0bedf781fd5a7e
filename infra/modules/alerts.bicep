// What pages on-call: an action group that emails the on-call address, and one alert rule per way the run engine
// can quietly stop paying or notifying. Each rule's description names its section of docs/runbook.md, which says
// what it means, how to look and how to fix it (tests/PayConnect.Infra.Tests keeps the two in step).

import { resourceTags } from 'types.bicep'

@description('Prefix of the alert and action group names, e.g. payconnect-dev.')
param baseName string

@description('Azure region of the log alert rules (the Application Insights region).')
param location string

@description('Tags applied to the action group and the rules.')
param tags resourceTags

@description('Address that receives the alerts (a person or, better, the on-call rota\'s mailbox).')
param onCallEmail string

@description('Resource id of Application Insights, where the worker exports logs, traces and the PayConnect metrics.')
param applicationInsightsId string

@description('Resource id of the Service Bus namespace.')
param serviceBusNamespaceId string

@description('Name of the runs queue whose dead letters are watched.')
param runsQueueName string

@description('Failed runs in an hour above which on-call is alerted (hard declines happen; a burst of them is a problem).')
@minValue(0)
param failedRunsPerHour int

@description('Minutes the oldest due run may wait to be sent before on-call is alerted.')
@minValue(15)
param dueLagMinutes int

@description('Minutes the oldest failure email may wait in the outbox before on-call is alerted.')
@minValue(15)
param outboxAgeMinutes int

var runbook = 'docs/runbook.md'

resource onCall 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${baseName}-oncall'
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    // At most 12 characters; shown as the sender of SMS and push notifications.
    groupShortName: take('pc-${last(split(baseName, '-'))}', 12)
    emailReceivers: [
      {
        name: 'on-call'
        emailAddress: onCallEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

// The platform's own count, so it fires even when the worker is down.
resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'alert-${baseName}-dead-lettered-runs'
  location: 'global'
  tags: tags
  properties: {
    description: 'Run messages are in the dead-letter queue of ${runsQueueName}: those runs will not move until someone resubmits them. Runbook: ${runbook}#dead-lettered-runs'
    severity: 2
    enabled: true
    scopes: [
      serviceBusNamespaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    autoMitigate: true
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'DeadLetteredRuns'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                runsQueueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: [
      {
        actionGroupId: onCall.id
      }
    ]
  }
}

// Log alerts on Application Insights (classic table names: traces, requests, customMetrics).
var logAlerts = [
  {
    name: 'failed-runs'
    section: 'failed-runs'
    description: 'More than ${failedRunsPerHour} Auto-Pay runs failed in the last hour (the engine\'s "Run ... -> Failed" log lines).'
    severity: 2
    frequency: 'PT15M'
    window: 'PT1H'
    query: '''
traces
| where tostring(customDimensions.State) == "Failed" and isnotempty(tostring(customDimensions.RunKey))
| summarize FailedRuns = dcount(tostring(customDimensions.RunKey))
'''
    measure: 'FailedRuns'
    operator: 'GreaterThan'
    threshold: failedRunsPerHour
  }
  {
    name: 'function-failures'
    section: 'function-failures'
    description: 'A PayConnect function invocation failed (an exception or a 5xx, not a caller\'s 4xx) in the last 15 minutes.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: '''
requests
| extend code = toint(resultCode)
| where success == false and (isnull(code) or code < 400 or code >= 500)
| summarize Failures = count()
'''
    measure: 'Failures'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'due-lag'
    section: 'due-lag'
    description: 'The oldest due Auto-Pay run has waited more than ${dueLagMinutes} minutes to be sent: the fan-out is not sending (payconnect.runs.due_lag).'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: '''
customMetrics
| where name == "payconnect.runs.due_lag"
| summarize DueLagSeconds = max(value)
'''
    measure: 'DueLagSeconds'
    operator: 'GreaterThan'
    threshold: dueLagMinutes * 60
  }
  {
    name: 'outbox-backlog'
    section: 'outbox-backlog'
    description: 'A failure notification email has waited in the outbox for more than ${outboxAgeMinutes} minutes: email is not going out (payconnect.outbox.oldest_age).'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: '''
customMetrics
| where name == "payconnect.outbox.oldest_age"
| summarize OldestEmailAgeSeconds = max(value)
'''
    measure: 'OldestEmailAgeSeconds'
    operator: 'GreaterThan'
    threshold: outboxAgeMinutes * 60
  }
  {
    name: 'backlog-readings-missing'
    section: 'backlog-readings-missing'
    description: 'No backlog reading reached Application Insights for 30 minutes: the worker is down or cannot export, and the due-lag and outbox alerts cannot fire.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT30M'
    query: '''
customMetrics
| where name == "payconnect.runs.due_lag"
| summarize Readings = count()
'''
    measure: 'Readings'
    operator: 'LessThan'
    threshold: 1
  }
]

resource logRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in logAlerts: {
    name: 'alert-${baseName}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: 'PayConnect ${rule.name} (${baseName})'
      description: '${rule.description} Runbook: ${runbook}#${rule.section}'
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Total'
            metricMeasureColumn: rule.measure
            operator: rule.operator
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          onCall.id
        ]
        customProperties: {
          runbook: '${runbook}#${rule.section}'
        }
      }
    }
  }
]

@description('Resource id of the on-call action group.')
output actionGroupId string = onCall.id

@description('Names of the alert rules.')
output alertRuleNames string[] = concat([deadLetters.name], map(logAlerts, rule => 'alert-${baseName}-${rule.name}'))
