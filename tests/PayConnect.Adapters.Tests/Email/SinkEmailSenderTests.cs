using Microsoft.Extensions.Options;
using MimeKit;
using PayConnect.Infrastructure.Email.Sink;
using PayConnect.Notifications;

namespace PayConnect.Adapters.Tests.Email;

public sealed class SinkEmailSenderTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "payconnect-sink-" + Guid.NewGuid().ToString("N"));
    private readonly VirtualTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private SinkEmailSender Sink() =>
        new(Options.Create(new SinkEmailOptions { Directory = folder, SenderAddress = "DoNotReply@payconnect.test" }), time);

    private static EmailMessage Message(string id, string subject = "Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01") => new(
        id, [new EmailAddress("oncall@firm.test", "On Call")], subject, "Plain body: 1250.00 USD\n", "<p>Html body</p>\n");

    private string[] IndexLines() => File.ReadAllLines(Path.Combine(folder, SinkEmailSender.IndexFileName));

    [Fact]
    public async Task Send_WritesAReadableEmlAndAnIndexLine()
    {
        var result = await Sink().SendAsync(Message("ntf-1"), CancellationToken.None);

        var path = Path.Combine(folder, "ntf-1.eml");
        Assert.True(result.IsSent);
        Assert.Equal(path, result.TransportReference);

        var text = await File.ReadAllTextAsync(path);
        Assert.Contains("Subject: Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01", text);
        Assert.Contains("Plain body: 1250.00 USD", text);
        Assert.Contains("Message-Id: <ntf-1@payconnect.test>", text);

        var mime = await MimeMessage.LoadAsync(path);
        Assert.Equal("oncall@firm.test", mime.To.Mailboxes.Single().Address);
        Assert.Equal("<p>Html body</p>\n", mime.HtmlBody!.ReplaceLineEndings("\n"));

        var line = Assert.Single(IndexLines());
        Assert.Equal("2026-03-01T12:00:00Z | ntf-1.eml | To: On Call <oncall@firm.test> | Subject: Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01", line);
    }

    [Fact]
    public async Task Send_SameMessageIdTwice_OverwritesInsteadOfDuplicating()
    {
        await Sink().SendAsync(Message("ntf-1", "first"), CancellationToken.None);
        await Sink().SendAsync(Message("ntf-2", "other"), CancellationToken.None);
        await Sink().SendAsync(Message("ntf-1", "second"), CancellationToken.None);

        Assert.Equal(["ntf-1.eml", "ntf-2.eml"], Directory.GetFiles(folder, "*.eml").Select(Path.GetFileName).Order());
        Assert.Equal("second", (await MimeMessage.LoadAsync(Path.Combine(folder, "ntf-1.eml"))).Subject);
        var lines = IndexLines();
        Assert.Equal(2, lines.Length);
        Assert.Single(lines, l => l.Contains("| ntf-1.eml |", StringComparison.Ordinal) && l.EndsWith("Subject: second", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public async Task Send_IdThatIsNotAFileName_StaysInsideTheFolder()
    {
        await Sink().SendAsync(Message("../../etc/evil"), CancellationToken.None);
        await Sink().SendAsync(Message("firm-1/sch-1/2026-03-01/oncall@firm.test"), CancellationToken.None);

        var files = Directory.GetFiles(folder, "*.eml").Select(Path.GetFileName).ToList();
        Assert.Equal(2, files.Count);
        Assert.Contains(files, f => f!.StartsWith("firm-1_sch-1_2026-03-01_oncall_firm_test-", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(folder)!, "evil*"));
    }

    [Fact]
    public async Task Send_InParallel_KeepsEveryIndexLine()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Sink().SendAsync(Message($"ntf-{i}"), CancellationToken.None)));

        Assert.Equal(20, IndexLines().Length);
        Assert.Equal(20, Directory.GetFiles(folder, "*.eml").Length);
    }
}
