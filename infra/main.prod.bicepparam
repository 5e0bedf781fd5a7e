// Production environment. No secrets and no keys here: secrets live in Key Vault (docs/deploy.md).
// Tenant-specific values come from environment variables read when this file is compiled; a missing
// required variable stops the deployment before anything is created.
using 'main.bicep'

param environmentName = 'prod'

// App registration that protects the API (docs/deploy.md, "Before the first deployment").
param authClientId = readEnvironmentVariable('PAYCONNECT_PROD_AUTH_CLIENT_ID')
param portalBaseUrl = readEnvironmentVariable('PAYCONNECT_PROD_PORTAL_BASE_URL')
// The client applications whose tokens the API accepts: the staff portal and each firm's sync agent
// (comma-separated client ids; docs/deploy.md, "Who may call the API").
param portalClientId = readEnvironmentVariable('PAYCONNECT_PROD_PORTAL_CLIENT_ID')
param syncAgentClientIds = map(filter(split(readEnvironmentVariable('PAYCONNECT_PROD_SYNC_AGENT_CLIENT_IDS', ''), ','), id => !empty(trim(id))), id => trim(id))
// Who receives the alerts (docs/runbook.md).
param onCallEmail = readEnvironmentVariable('PAYCONNECT_PROD_ONCALL_EMAIL')
// Optional: object id of the person or group who adds the Key Vault secrets.
param vaultOperatorPrincipalId = readEnvironmentVariable('PAYCONNECT_PROD_VAULT_OPERATOR_ID', '')
param vaultOperatorPrincipalType = 'Group'

// Real charges: needs the StripeApiKey secret in Key Vault.
param gatewayKind = 'Stripe'

// Zone-redundant data, longer retention, and secrets that cannot be purged early.
param maximumInstanceCount = 100
param instanceMemoryMB = 2048
param storageSkuName = 'Standard_ZRS'
param logRetentionInDays = 90
param keyVaultSoftDeleteRetentionInDays = 90
param keyVaultPurgeProtection = true
