using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email;

namespace PayConnect.DevHost.Emulators;

/// <summary>The local mail sink: a folder where the Sink email transport writes each message as a file.</summary>
internal sealed class MailSinkFolder : ILocalEmulator
{
    public const string DefaultFolder = ".local/mail";

    public Task<IReadOnlyDictionary<string, string>> StartAsync(EmulatorContext context, CancellationToken cancellationToken)
    {
        var email = context.Setting<EmailOptions>();
        var transport = email.Transport;
        if (transport is not null and not EmailTransport.Sink)
        {
            context.Console.Line($"Mail: sent with the {transport} transport ({AppSettings.EmailTransport})");
            return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
        }

        var configured = context.Options.MailDirectory ?? email.SinkDirectory;
        var folder = Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? DefaultFolder : configured, context.RepositoryRoot);
        Directory.CreateDirectory(folder);
        context.Console.Line($"Mail sink: {folder}");

        // An absolute path, so the functions write to the same folder whatever their working directory.
        return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string> { [AppSettings.EmailSinkDirectory] = folder });
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
