using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using PayConnect.Infrastructure.Email;
using PayConnect.Infrastructure.Email.Smtp;
using PayConnect.Notifications;

namespace PayConnect.Adapters.Tests.Email;

public sealed class SmtpEmailSenderTests
{
    private const string Sender = "DoNotReply@payconnect.test";
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static EmailMessage Message(string id = "ntf-1") => new(
        id,
        [new EmailAddress("oncall@firm.test", "On Call"), new EmailAddress("books@firm.test", "Büro Müller")],
        "Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01",
        "Plain body: 1250.00 USD\n",
        "<p>Html body: 1250.00 USD</p>\n");

    private static SmtpEmailSender SenderFor(int port, string? user = null, string? password = null) =>
        new(
            Options.Create(new SmtpEmailOptions { Host = "127.0.0.1", Port = port, User = user, Password = password, SenderAddress = Sender, Timeout = TimeSpan.FromSeconds(5) }),
            new VirtualTimeProvider(Now),
            NullLogger<SmtpEmailSender>.Instance);

    [Fact]
    public async Task Send_DeliversHeadersAndBothBodies()
    {
        await using var server = FakeSmtpServer.Start();

        var result = await SenderFor(server.Port).SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        var mail = Assert.Single(server.Messages);
        Assert.Equal(Sender, mail.MailFrom);
        Assert.Equal(["oncall@firm.test", "books@firm.test"], mail.RcptTo);

        var mime = MimeMessage.Load(new MemoryStream(mail.Data));
        Assert.Equal(Sender, mime.From.Mailboxes.Single().Address);
        Assert.Equal(
            [("On Call", "oncall@firm.test"), ("Büro Müller", "books@firm.test")],
            mime.To.Mailboxes.Select(m => (m.Name, m.Address)));
        Assert.Equal("Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01", mime.Subject);
        Assert.Equal("ntf-1@payconnect.test", mime.MessageId);
        Assert.Equal(mime.MessageId, result.TransportReference);
        Assert.Equal("ntf-1", mime.Headers["X-PayConnect-Notification-Id"]);
        Assert.Equal(Now, mime.Date);
        Assert.Equal("Plain body: 1250.00 USD\n", mime.TextBody!.ReplaceLineEndings("\n"));
        Assert.Equal("<p>Html body: 1250.00 USD</p>\n", mime.HtmlBody!.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Send_SameMessageIdTwice_CarriesTheSameMessageIdHeader()
    {
        await using var server = FakeSmtpServer.Start();
        var id = "firm-1/sch-1/2026-03-01/oncall@firm.test";

        await SenderFor(server.Port).SendAsync(Message(id), CancellationToken.None);
        await SenderFor(server.Port).SendAsync(Message(id), CancellationToken.None);
        await SenderFor(server.Port).SendAsync(Message("other"), CancellationToken.None);

        var ids = server.Messages.Select(m => MimeMessage.Load(new MemoryStream(m.Data)).MessageId).ToList();
        Assert.Equal(EmailMessageIds.MimeMessageId(id, Sender), ids[0]);
        Assert.Equal(ids[0], ids[1]);
        Assert.NotEqual(ids[0], ids[2]);
    }

    [Fact]
    public async Task Send_WithUser_Authenticates()
    {
        await using var server = FakeSmtpServer.Start(advertiseAuth: true);

        await SenderFor(server.Port, "relay-user", "relay-pass").SendAsync(Message(), CancellationToken.None);

        Assert.Equal(["relay-user:relay-pass"], server.Logins);
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Send_WithoutUser_DoesNotAuthenticate()
    {
        await using var server = FakeSmtpServer.Start(advertiseAuth: true);

        await SenderFor(server.Port).SendAsync(Message(), CancellationToken.None);

        Assert.Empty(server.Logins);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase));
        Assert.Single(server.Messages);
    }

    [Fact]
    public async Task Send_RecipientRefusedPermanently_IsRejected()
    {
        await using var server = FakeSmtpServer.Start(rcptReply: a => a == "books@firm.test" ? "550 5.1.1 No such user" : "250 OK");

        var result = await SenderFor(server.Port).SendAsync(Message(), CancellationToken.None);

        Assert.Equal(EmailSendOutcome.Rejected, result.Outcome);
        Assert.Equal("550", result.ErrorCode);
        Assert.Empty(server.Messages);
    }

    [Fact]
    public async Task Send_RecipientRefusedTemporarily_Throws()
    {
        await using var server = FakeSmtpServer.Start(rcptReply: _ => "451 4.3.0 Try again later");

        await Assert.ThrowsAsync<EmailTransientException>(() => SenderFor(server.Port).SendAsync(Message(), CancellationToken.None));
    }

    [Fact]
    public async Task Send_ServerUnreachable_Throws()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        await Assert.ThrowsAsync<EmailTransientException>(() => SenderFor(port).SendAsync(Message(), CancellationToken.None));
    }
}
