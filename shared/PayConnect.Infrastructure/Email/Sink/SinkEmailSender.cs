using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using PayConnect.Notifications;

namespace PayConnect.Infrastructure.Email.Sink;

/// <summary>
/// The local transport: writes each message as <c>{MessageId}.eml</c> (RFC 5322, readable with <c>cat</c>) and keeps
/// one summary line per message in <c>index.txt</c>. Sending the same MessageId again replaces both, so duplicates
/// show up as one file, as they would at a transport that recognises them.
/// </summary>
public sealed class SinkEmailSender : IEmailSender
{
    public const string IndexFileName = "index.txt";

    // One writer per folder in this process, so parallel sends never lose an index line.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> FolderLocks = new(StringComparer.Ordinal);

    private readonly SinkEmailOptions options;
    private readonly TimeProvider time;

    public SinkEmailSender(IOptions<SinkEmailOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));

        var problems = this.options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The mail sink is misconfigured: " + string.Join(" ", problems));
        }
    }

    /// <summary>The folder the sink writes to, as an absolute path.</summary>
    public string Folder => Path.GetFullPath(options.Directory);

    public async Task<EmailSendResult> SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var folder = Folder;
        Directory.CreateDirectory(folder);
        var now = time.GetUtcNow();
        var fileName = EmailMessageIds.Stem(message.MessageId) + ".eml";
        var path = Path.Combine(folder, fileName);

        var mime = EmailMime.Create(message, options.SenderAddress, now);
        var gate = FolderLocks.GetOrAdd(folder, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await ReplaceAsync(path, stream => mime.WriteToAsync(stream, cancellationToken), cancellationToken);

            var indexPath = Path.Combine(folder, IndexFileName);
            var lines = File.Exists(indexPath)
                ? (await File.ReadAllLinesAsync(indexPath, cancellationToken)).Where(l => FileOf(l) != fileName).ToList()
                : [];
            lines.Add(string.Join(" | ", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), fileName, "To: " + string.Join(", ", message.To), "Subject: " + message.Subject));
            var text = string.Join('\n', lines) + "\n";
            await ReplaceAsync(indexPath, stream => stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask(), cancellationToken);
        }
        finally
        {
            gate.Release();
        }

        return EmailSendResult.Sent(path);
    }

    private static string? FileOf(string indexLine)
    {
        var parts = indexLine.Split(" | ");
        return parts.Length > 1 ? parts[1] : null;
    }

    // Write beside, then rename over: a reader never sees half a file.
    private static async Task ReplaceAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await write(stream);
                await stream.FlushAsync(cancellationToken);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
