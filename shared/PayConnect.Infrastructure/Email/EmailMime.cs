using MimeKit;
using PayConnect.Notifications;

namespace PayConnect.Infrastructure.Email;

/// <summary>Builds the MIME form of an <see cref="EmailMessage"/> shared by the SMTP transport and the local sink.</summary>
internal static class EmailMime
{
    /// <summary>Carries our notification id verbatim, for people reading a mailbox or a sink file.</summary>
    public const string NotificationIdHeader = "X-PayConnect-Notification-Id";

    public static MimeMessage Create(EmailMessage message, string senderAddress, DateTimeOffset date)
    {
        var mime = new MimeMessage
        {
            MessageId = EmailMessageIds.MimeMessageId(message.MessageId, senderAddress),
            Date = date,
            Subject = message.Subject,
        };
        mime.From.Add(MailboxAddress.Parse(senderAddress));
        foreach (var to in message.To)
        {
            mime.To.Add(new MailboxAddress(to.DisplayName, to.Address));
        }

        mime.Headers.Add(NotificationIdHeader, message.MessageId);
        mime.Body = new BodyBuilder { TextBody = message.PlainText, HtmlBody = message.Html.Length > 0 ? message.Html : null }.ToMessageBody();
        return mime;
    }
}
