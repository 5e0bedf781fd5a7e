using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email.Acs;
using PayConnect.Infrastructure.Email.Smtp;
using PayConnect.Infrastructure.Email.Sink;
using PayConnect.Notifications;

namespace PayConnect.Infrastructure.Email;

/// <summary>Email transports PayConnect can use (<c>Email__Transport</c>).</summary>
public enum EmailTransport
{
    Acs,
    Smtp,
    Sink,
}

public static class EmailServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IEmailSender"/> for the transport named by <c>Email__Transport</c> (Acs, Smtp or Sink) with
    /// its options read from the <c>Email__*</c> settings and validated when the host starts.
    /// </summary>
    public static IServiceCollection AddPayConnectEmail(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        var transportName = Setting(configuration, AppSettings.EmailTransport);
        if (transportName is null || !transportName.All(char.IsAsciiLetter) || !Enum.TryParse<EmailTransport>(transportName, ignoreCase: true, out var transport))
        {
            throw new InvalidOperationException(
                $"{AppSettings.EmailTransport} must be Acs, Smtp or Sink; it is '{transportName ?? "(not set)"}'.");
        }

        services.TryAddSingleton(TimeProvider.System);
        var sender = Setting(configuration, AppSettings.EmailSenderAddress) ?? string.Empty;
        switch (transport)
        {
            case EmailTransport.Acs:
                services.AddOptions<AcsEmailOptions>()
                    .Configure(o =>
                    {
                        o.Endpoint = Uri.TryCreate(Setting(configuration, AppSettings.EmailAcsEndpoint), UriKind.Absolute, out var endpoint) ? endpoint : null;
                        o.AccessKey = Setting(configuration, AppSettings.EmailAcsAccessKey) ?? string.Empty;
                        o.SenderAddress = sender;
                    })
                    .ValidateOnStart();
                services.AddSingleton<IValidateOptions<AcsEmailOptions>>(new ProblemsValidator<AcsEmailOptions>(o => o.Validate()));

                // Azure: the managed identity's Entra token (the resource has local auth disabled). The access key is
                // for local development and tests only.
                services.AddSingleton(sp =>
                {
                    var acs = sp.GetRequiredService<IOptions<AcsEmailOptions>>().Value;
                    return acs.UsesAccessKey
                        ? AcsAuthorization.FromAccessKey(acs.AccessKey)
                        : AcsAuthorization.FromTokenCredential(AzureCredentials.FromConfiguration(configuration), sp.GetRequiredService<TimeProvider>());
                });

                // The sender's own retries and poll budget bound a call; this only stops one hung request.
                services.AddHttpClient<IEmailSender, AcsEmailSender>(client => client.Timeout = TimeSpan.FromSeconds(30));
                break;

            case EmailTransport.Smtp:
                services.AddOptions<SmtpEmailOptions>()
                    .Configure(o =>
                    {
                        o.Host = Setting(configuration, AppSettings.EmailSmtpHost) ?? string.Empty;
                        var port = Setting(configuration, AppSettings.EmailSmtpPort);
                        o.Port = port is null ? 587 : int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : -1;
                        o.User = Setting(configuration, AppSettings.EmailSmtpUser);
                        o.Password = Setting(configuration, AppSettings.EmailSmtpPassword);
                        o.SenderAddress = sender;
                    })
                    .ValidateOnStart();
                services.AddSingleton<IValidateOptions<SmtpEmailOptions>>(new ProblemsValidator<SmtpEmailOptions>(o => o.Validate()));
                services.AddSingleton<IEmailSender, SmtpEmailSender>();
                break;

            case EmailTransport.Sink:
                services.AddOptions<SinkEmailOptions>()
                    .Configure(o =>
                    {
                        o.Directory = Setting(configuration, AppSettings.EmailSinkDirectory) ?? string.Empty;
                        o.SenderAddress = sender;
                    })
                    .ValidateOnStart();
                services.AddSingleton<IValidateOptions<SinkEmailOptions>>(new ProblemsValidator<SinkEmailOptions>(o => o.Validate()));
                services.AddSingleton<IEmailSender, SinkEmailSender>();
                break;
        }

        return services;
    }

    // App-setting names use "__"; the environment-variable provider turns that into ":", an in-memory source does not.
    private static string? Setting(IConfiguration configuration, string name)
    {
        var value = configuration[name.Replace("__", ":", StringComparison.Ordinal)] ?? configuration[name];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private sealed class ProblemsValidator<T>(Func<T, IReadOnlyList<string>> problems) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var found = problems(options);
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
