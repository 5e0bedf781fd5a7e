using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PayConnect.Notifications;

namespace PayConnect.Infrastructure.Email.Smtp;

/// <summary>
/// Sends email through an SMTP relay with MailKit: STARTTLS whenever the server offers it, authentication when a
/// user is configured, and a Message-Id derived from our MessageId so duplicates are recognisable in any mailbox.
/// </summary>
public sealed class SmtpEmailSender : IEmailSender
{
    private readonly SmtpEmailOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<SmtpEmailSender> logger;

    public SmtpEmailSender(IOptions<SmtpEmailOptions> options, TimeProvider timeProvider, ILogger<SmtpEmailSender> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));

        var problems = this.options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("SMTP email is misconfigured: " + string.Join(" ", problems));
        }
    }

    public async Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var mime = EmailMime.Create(message, options.SenderAddress, time.GetUtcNow());
        using var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(options.Host, options.Port, SecureSocketOptions.StartTlsWhenAvailable, cancellationToken);
            if (!string.IsNullOrEmpty(options.User))
            {
                // StartTlsWhenAvailable falls back to plain text when STARTTLS is not offered (or was stripped on the
                // way); a password then only goes to a relay on this machine.
                if (!client.IsSecure && !IsLoopback(options.Host))
                {
                    throw new EmailTransientException(
                        $"SMTP server {options.Host} did not offer STARTTLS; refusing to send credentials in plain text.");
                }

                await client.AuthenticateAsync(options.User, options.Password ?? string.Empty, cancellationToken);
            }

            await client.SendAsync(mime, cancellationToken);
            logger.LogInformation("SMTP relay {Host} accepted email {MessageId}", options.Host, message.MessageId);
        }
        catch (SmtpCommandException e) when (IsPermanent(e))
        {
            logger.LogWarning("SMTP relay {Host} refused email {MessageId}: {StatusCode}", options.Host, message.MessageId, (int)e.StatusCode);
            return EmailSendResult.Rejected(((int)e.StatusCode).ToString(CultureInfo.InvariantCulture), e.Message, mime.MessageId);
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            throw new EmailTransientException($"SMTP send to {options.Host}:{options.Port} failed: {e.Message}", e);
        }

        await DisconnectQuietlyAsync(client);
        return EmailSendResult.Sent(mime.MessageId);
    }

    // 5xx on a recipient or on the message itself is final for this message; 4xx (and a refused sender, which is
    // our configuration) may pass.
    private static bool IsPermanent(SmtpCommandException e) =>
        (int)e.StatusCode >= 500 && e.ErrorCode is SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.MessageNotAccepted;

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or ServiceNotAuthenticatedException => true,
        MailKit.Security.AuthenticationException or SslHandshakeException => true,
        IOException or SocketException or TimeoutException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    // The server has already accepted the message; a failed QUIT must not make us send it again.
    private async Task DisconnectQuietlyAsync(SmtpClient client)
    {
        try
        {
            await client.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or SmtpCommandException or TimeoutException)
        {
            logger.LogDebug(e, "SMTP QUIT to {Host} failed after the message was accepted", options.Host);
        }
    }
}
