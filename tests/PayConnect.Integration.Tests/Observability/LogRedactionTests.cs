using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using OpenTelemetry;
using OpenTelemetry.Trace;
using PayConnect.Functions.Notifications;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Notifications;
using PayConnect.Observability;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Observability;

/// <summary>
/// Everything the engine logs (every level, every structured value, every exception) and every span tag it records
/// over whole runs — one approved, one declined, and the failure email that cannot be sent — holds no payment token,
/// card or bank detail, access key or password, and no email body, subject, address or payer name.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed partial class LogRedactionTests(Emulators emulators)
{
    private const string ApprovedToken = SandboxPaymentGateway.Approve + ".tok-canary-8c1e5f";
    private const string DeclinedToken = SandboxPaymentGateway.StolenCard + ".tok-canary-d4a92b";
    private const string CardLast4 = "7319";
    private const string BankLast4 = "5083";
    private const string ConnectedAccount = "acct_1CanaryDepositXq7";
    private const string ApprovedPayer = "Zebediah Canarypayer";
    private const string DeclinedPayer = "Ottilie Canarypayer";
    private const string Subscriber = "oncall.canary@firm-ops.test";
    private const string SmtpUser = "smtp-canary-user";
    private const string SmtpPassword = "Smtp-Canary-Pa55-4e7b";
    private const string StripeKey = "sk_test_51CanaryKeyNeverLoggedq9Zx";

    [Fact]
    public async Task ApprovedRun_DeclinedRun_AndAFailureEmailThatCannotBeSent_LogNoTokenCardBankDataKeyOrEmail()
    {
        var logs = new CapturingLoggerProvider();
        var spans = new List<Activity>();
        var deadPort = PayConnect.LocalEmulators.LoopbackPorts.Free();
        await using var scenario = await AutoPayScenario.StartAsync(
            emulators,
            settings: s =>
            {
                s[AppSettings.EmailTransport] = "Smtp";
                s[AppSettings.EmailSmtpHost] = "127.0.0.1";
                s[AppSettings.EmailSmtpPort] = deadPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
                s[AppSettings.EmailSmtpUser] = SmtpUser;
                s[AppSettings.EmailSmtpPassword] = SmtpPassword;
                s[AppSettings.GatewayStripeApiKey] = StripeKey;
            },
            services: c =>
            {
                c.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
                c.AddOpenTelemetry().WithTracing(t => t.AddSource(Telemetry.Name).AddInMemoryExporter(spans));
            });
        var tracing = scenario.Host.Get<TracerProvider>();
        await scenario.SubscribeAsync(Subscriber);
        await scenario.IngestClientAsync("C-700");
        await scenario.IngestClientAsync("C-701");
        scenario.SetFirmTime(2026, 3, 1);
        var approved = await scenario.AutoPayAsync(
            await scenario.PartyAsync("C-700", ApprovedToken, ApprovedPayer, CardLast4, BankLast4, ConnectedAccount), "2026-03-02");
        var declined = await scenario.AutoPayAsync(
            await scenario.PartyAsync("C-701", DeclinedToken, DeclinedPayer, CardLast4, BankLast4, ConnectedAccount), "2026-03-02");

        scenario.SetFirmTime(2026, 3, 2);
        await scenario.SettleAsync();
        scenario.Host.Clock.Advance(Duration.FromHours(1));
        await scenario.Host.Function<EmailOutboxFunction>().Run(new TimerInfo(), CancellationToken.None);
        tracing.ForceFlush();

        // The whole path ran: a charge, a decline, an email enqueued and failed twice.
        Assert.Equal("Posted", (await scenario.RunAsync(approved, "2026-03-02"))["state"]!.GetValue<string>());
        Assert.Equal("Failed", (await scenario.RunAsync(declined, "2026-03-02"))["state"]!.GetValue<string>());
        Assert.Single(scenario.Charges());
        var email = Assert.Single(await EmailsAsync(scenario)).Value;
        Assert.Equal(OutboxState.Pending, email.State);
        Assert.Equal(2, email.Attempts);
        Assert.Contains(DeclinedPayer, email.PlainText, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.Text.Contains("Outbox email", StringComparison.Ordinal) && e.Text.Contains("not sent", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Text.Contains("-> Posted", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Text.Contains("-> Failed", StringComparison.Ordinal));
        Assert.NotEmpty(spans);

        var forbidden = new Dictionary<string, string>
        {
            ["approved card's token"] = ApprovedToken,
            ["declined card's token"] = DeclinedToken,
            ["a token's unique part"] = "tok-canary",
            ["connected account"] = ConnectedAccount,
            ["payer name"] = ApprovedPayer,
            ["declined payer's name"] = DeclinedPayer,
            ["subscriber address"] = Subscriber,
            ["email subject"] = email.Subject,
            ["email body"] = email.PlainText,
            ["email html"] = email.Html,
            ["SMTP user"] = SmtpUser,
            ["SMTP password"] = SmtpPassword,
            ["Stripe key"] = StripeKey,
            ["Service Bus access key"] = KeyIn(emulators.ServiceBusConnectionString, "SharedAccessKey"),
            ["storage account key"] = KeyIn(emulators.Azurite.ConnectionString, "AccountKey"),
        };
        var texts = logs.Entries.Select(e => ($"log {e.Category} {e.Level}", e.Text))
            .Concat(Spans(spans).SelectMany(s => s.TagObjects.Select(t => ($"span {s.DisplayName} tag {t.Key}", t.Value?.ToString() ?? string.Empty))))
            .ToList();
        Assert.True(texts.Count > 50, $"Only {texts.Count} log entries and span tags were captured.");
        foreach (var (what, value) in forbidden)
        {
            var leaks = texts.Where(t => t.Item2.Contains(value, StringComparison.OrdinalIgnoreCase)).Select(t => t.Item1).ToList();
            Assert.True(leaks.Count == 0, $"The {what} reached: {string.Join("; ", leaks.Distinct())}");
        }

        foreach (var last4 in new[] { CardLast4, BankLast4 })
        {
            var leaks = texts.Where(t => Regex.IsMatch(t.Item2, $@"\b{last4}\b")).Select(t => t.Item1).ToList();
            Assert.True(leaks.Count == 0, $"Last four digits {last4} reached: {string.Join("; ", leaks.Distinct())}");
        }
    }

    private static async Task<List<Stored<OutboxEmail>>> EmailsAsync(AutoPayScenario scenario)
    {
        var page = await scenario.Host.Get<IRecordStore>().ListAsync<OutboxEmail>(AutoPayScenario.Firm, string.Empty, 100, null, null, CancellationToken.None);
        return [.. page.Items];
    }

    private static List<Activity> Spans(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    private static string KeyIn(string connectionString, string name) =>
        connectionString.Split(';').Select(p => p.Split('=', 2)).Single(p => p[0] == name)[1];

    /// <summary>One log record as a sink would keep it: its rendered message, every structured value, scopes and the exception.</summary>
    private sealed record Entry(string Category, LogLevel Level, string Text);

    /// <summary>Captures every record of every category at every level, as an exporter would receive it.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<Entry> _entries = new();

        public IReadOnlyList<Entry> Entries => [.. _entries];

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable BeginScope<TState>(TState state)
                where TState : notnull
            {
                entries.Enqueue(new Entry(category, LogLevel.None, "scope: " + Render(state)));
                return NullScope.Instance;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var text = formatter(state, exception) + " | " + Render(state) + (exception is null ? string.Empty : " | " + exception);
                entries.Enqueue(new Entry(category, logLevel, text));
            }

            private static string Render(object? state) =>
                state is IEnumerable<KeyValuePair<string, object?>> values
                    ? string.Join(" ", values.Select(v => $"{v.Key}={Value(v.Value)}"))
                    : state?.ToString() ?? string.Empty;

            private static string Value(object? value) =>
                value is System.Collections.IEnumerable many and not string
                    ? string.Join(",", many.Cast<object?>().Select(v => v?.ToString()))
                    : value?.ToString() ?? string.Empty;
        }

        private sealed class NullScope : IDisposable
        {
            public static readonly NullScope Instance = new();

            public void Dispose()
            {
            }
        }
    }
}
