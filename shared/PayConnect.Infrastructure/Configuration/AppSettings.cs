namespace PayConnect.Infrastructure.Configuration;

/// <summary>Where a setting is meant to be set.</summary>
public enum SettingScope
{
    /// <summary>Set locally and in Azure.</summary>
    Everywhere,

    /// <summary>Only for local development and tests (emulator connection strings, development identity).</summary>
    LocalOnly,

    /// <summary>Only in Azure (identity-based endpoints).</summary>
    AzureOnly,

    /// <summary>Set by the Azure platform on every instance; neither the template nor the sample sets it.</summary>
    Platform,
}

/// <summary>What reads a setting.</summary>
public enum SettingReader
{
    /// <summary>An options class bound to the setting's section (see <see cref="SettingsBinding"/>).</summary>
    Options,

    /// <summary>The Functions host, through a <c>%Name%</c> reference in a trigger attribute.</summary>
    FunctionsHost,
}

[AttributeUsage(AttributeTargets.Field)]
public sealed class SettingAttribute(SettingScope scope, string description) : Attribute
{
    public SettingScope Scope { get; } = scope;

    public string Description { get; } = description;

    public SettingReader ReadBy { get; init; } = SettingReader.Options;
}

/// <summary>
/// Every app setting PayConnect reads, by its app-setting name (sections separated by <c>__</c>, as Azure and
/// local.settings.json spell them). The code never looks these names up: configuration sees <c>A__B</c> as the
/// section path <c>A:B</c>, and options classes bound by section read them (<see cref="SettingsBinding"/>). Tests
/// keep this list, the options classes, local.settings.sample.json and infra/ in step.
/// </summary>
public static class AppSettings
{
    [Setting(SettingScope.LocalOnly, "Table Storage connection string (Azurite locally).")]
    public const string StorageConnectionString = "Storage__ConnectionString";

    [Setting(SettingScope.AzureOnly, "Table service URI, reached with the managed identity.")]
    public const string StorageTableServiceUri = "Storage__TableServiceUri";

    [Setting(SettingScope.LocalOnly, "Service Bus connection string (the local broker).")]
    public const string ServiceBusConnectionString = "ServiceBus__ConnectionString";

    [Setting(SettingScope.AzureOnly, "Service Bus namespace host name, reached with the managed identity.")]
    public const string ServiceBusNamespace = "ServiceBus__FullyQualifiedNamespace";

    [Setting(SettingScope.Everywhere, "Name of the queue that carries due Auto-Pay runs.")]
    public const string ServiceBusRunsQueue = "ServiceBus__RunsQueue";

    [Setting(SettingScope.AzureOnly, "Client id of the user-assigned managed identity.")]
    public const string AzureClientId = "AZURE_CLIENT_ID";

    [Setting(SettingScope.Everywhere, "Application Insights connection string: traces, metrics and logs are exported there with the managed identity; empty (the local default) exports nothing.")]
    public const string ApplicationInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    [Setting(SettingScope.Platform, "Set on every App Service / Functions instance; its presence means the app runs in Azure.")]
    public const string WebsiteInstanceId = "WEBSITE_INSTANCE_ID";

    [Setting(SettingScope.Platform, "Name of the app, set by App Service / Functions; its presence means the app runs in Azure.")]
    public const string WebsiteSiteName = "WEBSITE_SITE_NAME";

    [Setting(SettingScope.Platform, "The app's default host name, set by App Service / Functions; the unsubscribe links use it when Notifications__PublicBaseUrl is empty.")]
    public const string WebsiteHostName = "WEBSITE_HOSTNAME";

    [Setting(SettingScope.Everywhere, "NCRONTAB (six fields, UTC) of the fan-out timer.", ReadBy = SettingReader.FunctionsHost)]
    public const string FanOutSchedule = "FanOutSchedule";

    [Setting(SettingScope.Everywhere, "NCRONTAB (six fields, UTC) of the daily reconciliation of schedules with the due index.", ReadBy = SettingReader.FunctionsHost)]
    public const string ReconciliationSchedule = "ReconciliationSchedule";

    [Setting(SettingScope.Everywhere, "NCRONTAB (six fields, UTC) of the run-queue drain.", ReadBy = SettingReader.FunctionsHost)]
    public const string RunDrainSchedule = "RunDrainSchedule";

    [Setting(SettingScope.Everywhere, "NCRONTAB (six fields, UTC) of the email outbox sender.", ReadBy = SettingReader.FunctionsHost)]
    public const string EmailOutboxSchedule = "EmailOutboxSchedule";

    [Setting(SettingScope.Everywhere, "NCRONTAB (six fields, UTC) of the payer notices: pre-charge notices and expiry warnings.", ReadBy = SettingReader.FunctionsHost)]
    public const string PayerNoticesSchedule = "PayerNoticesSchedule";

    [Setting(SettingScope.Everywhere, "NCRONTAB (six fields, UTC) of the daily run summary (each firm's digest goes once its day is over).", ReadBy = SettingReader.FunctionsHost)]
    public const string RunSummarySchedule = "RunSummarySchedule";

    [Setting(SettingScope.Everywhere, "Seconds one drain invocation may spend receiving runs.")]
    public const string RunDrainTimeBudgetSeconds = "RunDrain__TimeBudgetSeconds";

    [Setting(SettingScope.Everywhere, "Runs processed in parallel by one drain invocation.")]
    public const string RunDrainMaxConcurrency = "RunDrain__MaxConcurrency";

    [Setting(SettingScope.Everywhere, "Waits (comma-separated hh:mm:ss) before an Auto-Pay run asks an unreachable MMS again; the run fails after the last.")]
    public const string RunsMmsRetryDelays = "Runs__MmsRetryDelays";

    [Setting(SettingScope.Everywhere, "Waits (comma-separated hh:mm:ss) before a run asks the gateway again about an unconfirmed charge; then the run is parked.")]
    public const string RunsGatewayRetryDelays = "Runs__GatewayRetryDelays";

    [Setting(SettingScope.Everywhere, "AppServiceAuthentication in Azure; Development locally (refused in Azure).")]
    public const string AuthMode = "Auth__Mode";

    [Setting(SettingScope.LocalOnly, "Firm id of the local development identity.")]
    public const string AuthDevelopmentFirmId = "Auth__DevelopmentFirmId";

    [Setting(SettingScope.LocalOnly, "User name of the local development identity.")]
    public const string AuthDevelopmentUser = "Auth__DevelopmentUser";

    [Setting(SettingScope.LocalOnly, "Role of the local development identity.")]
    public const string AuthDevelopmentRole = "Auth__DevelopmentRole";

    [Setting(SettingScope.Everywhere, "Payment gateway: Sandbox or Stripe.")]
    public const string GatewayKind = "Gateway__Kind";

    [Setting(SettingScope.AzureOnly, "Stripe secret key (a Key Vault reference in Azure).")]
    public const string GatewayStripeApiKey = "Gateway__StripeApiKey";

    [Setting(SettingScope.LocalOnly, "Stripe API base URL override (tests point it at a local server).")]
    public const string GatewayStripeApiBase = "Gateway__StripeApiBase";

    [Setting(SettingScope.Everywhere, "Signing secret (whsec_...) of the gateway-events endpoint: Stripe's webhook secret (a Key Vault reference in Azure); the sandbox signs with it locally (a development secret when empty).")]
    public const string GatewayWebhookSecret = "Gateway__WebhookSecret";

    [Setting(SettingScope.Everywhere, "Platform application fee on operating-account charges, in basis points (0-1000); trust charges never carry one.")]
    public const string GatewayOperatingFeeBasisPoints = "Gateway__OperatingFeeBasisPoints";

    [Setting(SettingScope.Everywhere, "How many times a soft-declined run is retried on later days.")]
    public const string DeclinesMaxSoftDeclineRetries = "Declines__MaxSoftDeclineRetries";

    [Setting(SettingScope.Everywhere, "Days between soft-decline retries.")]
    public const string DeclinesRetryAfterDays = "Declines__RetryAfterDays";

    [Setting(SettingScope.Everywhere, "Email transport: Acs, Smtp or Sink.")]
    public const string EmailTransport = "Email__Transport";

    [Setting(SettingScope.Everywhere, "Sender address of notification emails.")]
    public const string EmailSenderAddress = "Email__SenderAddress";

    [Setting(SettingScope.AzureOnly, "Azure Communication Services endpoint (https://NAME.communication.azure.com).")]
    public const string EmailAcsEndpoint = "Email__AcsEndpoint";

    [Setting(SettingScope.LocalOnly, "ACS access key (HMAC), local runs and tests only; empty means the managed identity's Entra token.")]
    public const string EmailAcsAccessKey = "Email__AcsAccessKey";

    [Setting(SettingScope.LocalOnly, "SMTP relay host when Email__Transport is Smtp.")]
    public const string EmailSmtpHost = "Email__SmtpHost";

    [Setting(SettingScope.LocalOnly, "SMTP relay port.")]
    public const string EmailSmtpPort = "Email__SmtpPort";

    [Setting(SettingScope.LocalOnly, "SMTP user name.")]
    public const string EmailSmtpUser = "Email__SmtpUser";

    [Setting(SettingScope.LocalOnly, "SMTP password.")]
    public const string EmailSmtpPassword = "Email__SmtpPassword";

    [Setting(SettingScope.LocalOnly, "Folder where the local mail sink writes messages.")]
    public const string EmailSinkDirectory = "Email__SinkDirectory";

    [Setting(SettingScope.Everywhere, "Base URL of the staff portal, used for links in emails.")]
    public const string EmailPortalBaseUrl = "Email__PortalBaseUrl";

    [Setting(SettingScope.Everywhere, "Secret (32+ characters) that signs the unsubscribe links in emails; a Key Vault reference in Azure.")]
    public const string NotificationsUnsubscribeKey = "Notifications__UnsubscribeKey";

    [Setting(SettingScope.Everywhere, "Public base URL of the API (the function app) for the unsubscribe links in emails; empty means https://WEBSITE_HOSTNAME in Azure, http://localhost:7071 locally.")]
    public const string NotificationsPublicBaseUrl = "Notifications__PublicBaseUrl";
}
