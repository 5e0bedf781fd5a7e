// Development environment. No secrets and no keys here: secrets live in Key Vault (docs/deploy.md).
// Tenant-specific values come from environment variables read when this file is compiled; a missing
// required variable stops the deployment before anything is created.
using 'main.bicep'

param environmentName = 'dev'

// App registration that protects the API (docs/deploy.md, "Before the first deployment").
param authClientId = readEnvironmentVariable('PAYCONNECT_DEV_AUTH_CLIENT_ID')
param portalBaseUrl = readEnvironmentVariable('PAYCONNECT_DEV_PORTAL_BASE_URL')
// The client applications whose tokens the API accepts: the staff portal and each firm's sync agent
// (comma-separated client ids; docs/deploy.md, "Who may call the API").
param portalClientId = readEnvironmentVariable('PAYCONNECT_DEV_PORTAL_CLIENT_ID')
param syncAgentClientIds = map(filter(split(readEnvironmentVariable('PAYCONNECT_DEV_SYNC_AGENT_CLIENT_IDS', ''), ','), id => !empty(trim(id))), id => trim(id))
// Who receives the alerts (docs/runbook.md).
param onCallEmail = readEnvironmentVariable('PAYCONNECT_DEV_ONCALL_EMAIL')
// Optional: object id of the person or group who adds the Key Vault secrets.
param vaultOperatorPrincipalId = readEnvironmentVariable('PAYCONNECT_DEV_VAULT_OPERATOR_ID', '')

// Test tokens only; no Stripe key needed.
param gatewayKind = 'Sandbox'

// Small and cheap; everything recoverable within a week.
param maximumInstanceCount = 40
param instanceMemoryMB = 2048
param storageSkuName = 'Standard_LRS'
param logRetentionInDays = 30
param keyVaultSoftDeleteRetentionInDays = 7
param keyVaultPurgeProtection = false
