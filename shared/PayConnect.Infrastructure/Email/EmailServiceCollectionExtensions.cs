using System.ComponentModel;
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
[TypeConverter(typeof(StrictEnumConverter<EmailTransport>))]
public enum EmailTransport
{
    Acs,
    Smtp,
    Sink,
}

public static class EmailServiceCollectionExtensions
{
    /// <summary>Name of the HttpClient the ACS sender uses.</summary>
    public const string AcsHttpClientName = "PayConnect.AcsEmail";

    /// <summary>
    /// Registers <see cref="IEmailSender"/> for the transport named by <c>Email__Transport</c> (Acs, Smtp or Sink),
    /// with its options built from <see cref="EmailOptions"/> and validated when the host starts.
    /// </summary>
    public static IServiceCollection AddPayConnectEmail(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddSettings<EmailOptions>().ValidateProblems(o => o.Problems());
        services.TryAddSingleton(TimeProvider.System);

        // Each transport's options come from the Email section; only the chosen one is ever resolved (and checked).
        services.AddOptions<AcsEmailOptions>().Configure<IOptions<EmailOptions>>((o, email) => email.Value.ApplyTo(o));
        services.AddOptions<SmtpEmailOptions>().Configure<IOptions<EmailOptions>>((o, email) => email.Value.ApplyTo(o));
        services.AddOptions<SinkEmailOptions>().Configure<IOptions<EmailOptions>>((o, email) => email.Value.ApplyTo(o));

        // The sender's own retries and poll budget bound a call; the timeout only stops one hung request. The
        // sender lives as long as the app, so the handler recycles its connections (DNS changes are seen).
        services.AddHttpClient(AcsHttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

        // Only the chosen transport's sender is built, so a registration never needs another transport's settings.
        services.TryAddSingleton<IEmailSender>(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Transport switch
        {
            EmailTransport.Acs => ActivatorUtilities.CreateInstance<AcsEmailSender>(sp, sp.GetRequiredService<IHttpClientFactory>().CreateClient(AcsHttpClientName)),
            EmailTransport.Smtp => ActivatorUtilities.CreateInstance<SmtpEmailSender>(sp),
            EmailTransport.Sink => ActivatorUtilities.CreateInstance<SinkEmailSender>(sp),
            var other => throw new InvalidOperationException($"{AppSettings.EmailTransport} '{other}' names no transport."),
        });

        // Azure: the managed identity's Entra token (the resource has local auth disabled). The access key is for local
        // development and tests only.
        services.TryAddSingleton<Azure.Core.TokenCredential>(sp => AzureCredentials.From(sp.GetRequiredService<IOptions<AzureOptions>>().Value));
        services.TryAddSingleton(sp =>
        {
            var acs = sp.GetRequiredService<IOptions<AcsEmailOptions>>().Value;
            return acs.UsesAccessKey
                ? AcsAuthorization.FromAccessKey(acs.AccessKey)
                : AcsAuthorization.FromTokenCredential(sp.GetRequiredService<Azure.Core.TokenCredential>(), sp.GetRequiredService<TimeProvider>());
        });

        return services;
    }
}
