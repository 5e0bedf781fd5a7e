using System.Globalization;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;

namespace PayConnect.DeadLetters;

/// <summary>
/// <c>dotnet run --project tools/PayConnect.DeadLetters -- COMMAND [ARGS] [OPTIONS]</c>: the runs queue's dead letters
/// for on-call (docs/runbook.md, "Dead-letter tool"). Exit codes: 0 done, 1 nothing matched or a failure, 2 usage.
/// </summary>
public static class DeadLetterCommand
{
    public const string Usage = """
        Usage: dotnet run --project tools/PayConnect.DeadLetters -- COMMAND [ARGS] [OPTIONS]

        Commands:
          list [--max N]                     Dead-lettered run messages, oldest first (default 100). Changes nothing.
          show SEQ                           One message: its properties, reason and body. Changes nothing.
          resubmit SEQ... | --all            Send the run messages back to the runs queue under a new message id (same
                                             run key: the run resumes from its stored state and never charges twice),
                                             then remove them from the dead-letter queue.
          purge SEQ... | --all --yes         Remove messages from the dead-letter queue for good.

        Where (one of):
          --connection-string CS             A connection string: the local broker's is
                                             Endpoint=sb://localhost:PORT;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true
                                             (PORT as the dev host prints it).
                                             Default: the ServiceBus__ConnectionString environment variable.
          --namespace NAME.servicebus.windows.net
                                             Azure, as the signed-in user (az login); needs Azure Service Bus Data
                                             Receiver and (to resubmit) Data Sender on the queue.
          --credential cli|default           With --namespace: AzureCliCredential (default) or DefaultAzureCredential.
          --queue NAME                       The runs queue (default: ServiceBus__RunsQueue, else autopay-runs).
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);

        Arguments parsed;
        try
        {
            parsed = Arguments.Parse(args);
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync(ex.Message);
            await error.WriteLineAsync(Usage);
            return 2;
        }

        if (parsed.Command is null or "help" or "--help" or "-h")
        {
            await output.WriteLineAsync(Usage);
            return parsed.Command is null ? 2 : 0;
        }

        ServiceBusClient client;
        try
        {
            client = parsed.CreateClient();
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return 2;
        }

        await using (client)
        {
            var queue = new DeadLetterQueue(client, parsed.Queue);
            try
            {
                return parsed.Command switch
                {
                    "list" => await ListAsync(queue, parsed, output, cancellationToken),
                    "show" => await ShowAsync(queue, parsed, output, error, cancellationToken),
                    "resubmit" => await ResubmitAsync(queue, parsed, output, error, cancellationToken),
                    "purge" => await PurgeAsync(queue, parsed, output, error, cancellationToken),
                    _ => await UnknownAsync(parsed.Command, error),
                };
            }
            catch (ServiceBusException ex)
            {
                await error.WriteLineAsync($"Service Bus: {ex.Reason}: {FirstLine(ex.Message)}");
                return 1;
            }
            catch (AuthenticationFailedException ex)
            {
                await error.WriteLineAsync($"Could not sign in ({ex.Message}). Run `az login`, or pass --credential default.");
                return 1;
            }
            catch (UnauthorizedAccessException ex)
            {
                await error.WriteLineAsync($"Not allowed ({ex.Message}). The signed-in identity needs Azure Service Bus Data Receiver (and Data Sender to resubmit) on the queue.");
                return 1;
            }
        }
    }

    private static async Task<int> ListAsync(DeadLetterQueue queue, Arguments parsed, TextWriter output, CancellationToken cancellationToken)
    {
        var letters = await queue.ListAsync(parsed.Max, cancellationToken);
        await output.WriteLineAsync($"{letters.Count} dead-lettered message(s) in {queue.QueueName}{(letters.Count == parsed.Max ? $" (first {parsed.Max}; --max for more)" : string.Empty)}");
        if (letters.Count > 0)
        {
            await output.WriteLineAsync($"{"SEQ",-8} {"ENQUEUED (UTC)",-20} {"DLV",3}  {"REASON",-26} RUN KEY / MESSAGE ID");
        }

        foreach (var l in letters)
        {
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{l.SequenceNumber,-8} {l.EnqueuedAt.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {l.DeliveryCount,3}  {Truncate(l.Reason, 26),-26} {l.RunKey ?? "(not a run) " + l.MessageId}"));
        }

        return 0;
    }

    private static async Task<int> ShowAsync(DeadLetterQueue queue, Arguments parsed, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (parsed.SequenceNumbers.Count != 1)
        {
            await error.WriteLineAsync("show takes one sequence number (see list).");
            return 2;
        }

        var letter = await queue.ShowAsync(parsed.SequenceNumbers.Single(), cancellationToken);
        if (letter is null)
        {
            await error.WriteLineAsync($"No dead-lettered message {parsed.SequenceNumbers.Single()} in {queue.QueueName}.");
            return 1;
        }

        await output.WriteLineAsync($"Sequence number: {letter.SequenceNumber}");
        await output.WriteLineAsync($"Message id:      {letter.MessageId}");
        await output.WriteLineAsync($"Run key:         {letter.RunKey ?? "(none: not a run message)"}");
        await output.WriteLineAsync($"Enqueued (UTC):  {letter.EnqueuedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}");
        await output.WriteLineAsync($"Deliveries:      {letter.DeliveryCount}");
        await output.WriteLineAsync($"Reason:          {letter.Reason}");
        await output.WriteLineAsync($"Description:     {letter.Description}");
        foreach (var (name, value) in letter.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            await output.WriteLineAsync($"Property {name}: {value}");
        }

        await output.WriteLineAsync("Body:");
        await output.WriteLineAsync(Pretty(letter.Body));
        return 0;
    }

    private static async Task<int> ResubmitAsync(DeadLetterQueue queue, Arguments parsed, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (await ChosenAsync(parsed, "resubmit", error) is not { } chosen)
        {
            return 2;
        }

        var (done, notRuns) = await queue.ResubmitAsync(chosen.All ? null : chosen.Numbers, cancellationToken);
        foreach (var r in done)
        {
            await output.WriteLineAsync($"Resubmitted {r.SequenceNumber}: run {r.RunKey} as message {r.NewMessageId}");
        }

        foreach (var n in notRuns)
        {
            await error.WriteLineAsync($"Left {n.SequenceNumber} ({n.MessageId}): it names no run; look at it with show, then purge it.");
        }

        await ReportMissingAsync(chosen, done.Select(d => d.SequenceNumber).Concat(notRuns.Select(n => n.SequenceNumber)), queue, error);
        await output.WriteLineAsync($"{done.Count} resubmitted to {queue.QueueName}.");
        return done.Count > 0 && notRuns.Count == 0 ? 0 : 1;
    }

    private static async Task<int> PurgeAsync(DeadLetterQueue queue, Arguments parsed, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (await ChosenAsync(parsed, "purge", error) is not { } chosen)
        {
            return 2;
        }

        if (chosen.All && !parsed.Yes)
        {
            await error.WriteLineAsync("purge --all removes every dead-lettered message for good: add --yes to do it.");
            return 2;
        }

        var purged = await queue.PurgeAsync(chosen.All ? null : chosen.Numbers, cancellationToken);
        foreach (var p in purged)
        {
            await output.WriteLineAsync($"Purged {p.SequenceNumber}: {p.RunKey ?? p.MessageId} ({p.Reason})");
        }

        await ReportMissingAsync(chosen, purged.Select(p => p.SequenceNumber), queue, error);
        await output.WriteLineAsync($"{purged.Count} purged from {queue.QueueName}.");
        return purged.Count > 0 ? 0 : 1;
    }

    private static async Task<(bool All, IReadOnlySet<long> Numbers)?> ChosenAsync(Arguments parsed, string command, TextWriter error)
    {
        if (parsed.All == parsed.SequenceNumbers.Count > 0)
        {
            await error.WriteLineAsync($"{command} takes sequence numbers (see list) or --all, not both.");
            return null;
        }

        return (parsed.All, parsed.SequenceNumbers);
    }

    private static async Task ReportMissingAsync((bool All, IReadOnlySet<long> Numbers) chosen, IEnumerable<long> handled, DeadLetterQueue queue, TextWriter error)
    {
        foreach (var missing in chosen.Numbers.Except(handled).Order())
        {
            await error.WriteLineAsync($"No dead-lettered message {missing} in {queue.QueueName}.");
        }
    }

    private static async Task<int> UnknownAsync(string command, TextWriter error)
    {
        await error.WriteLineAsync($"Unknown command '{command}'.");
        await error.WriteLineAsync(Usage);
        return 2;
    }

    private static string Pretty(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true });
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Truncate(string? text, int length) =>
        text is null ? "-" : text.Length <= length ? text : text[..(length - 1)] + "…";

    /// <summary>The parsed command line.</summary>
    private sealed record Arguments(
        string? Command,
        IReadOnlySet<long> SequenceNumbers,
        bool All,
        bool Yes,
        int Max,
        string? ConnectionString,
        string? Namespace,
        string Credential,
        string Queue)
    {
        public static Arguments Parse(string[] args)
        {
            string? command = null, connectionString = null, ns = null, queue = null;
            var credential = "cli";
            bool all = false, yes = false;
            var max = 100;
            var numbers = new HashSet<long>();
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--connection-string":
                        connectionString = Value();
                        break;
                    case "--namespace":
                        ns = Value();
                        break;
                    case "--credential":
                        credential = Value();
                        if (credential is not ("cli" or "default"))
                        {
                            throw new FormatException("--credential is cli or default.");
                        }

                        break;
                    case "--queue":
                        queue = Value();
                        break;
                    case "--max":
                        max = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : throw new FormatException("--max takes a positive number.");
                        break;
                    case "--all":
                        all = true;
                        break;
                    case "--yes":
                        yes = true;
                        break;
                    default:
                        if (args[i].StartsWith("--", StringComparison.Ordinal))
                        {
                            throw new FormatException($"Unknown option {args[i]}.");
                        }

                        if (command is null)
                        {
                            command = args[i];
                        }
                        else if (long.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        {
                            numbers.Add(n);
                        }
                        else
                        {
                            throw new FormatException($"'{args[i]}' is not a sequence number (see list).");
                        }

                        break;
                }
            }

            connectionString ??= ns is null ? Environment.GetEnvironmentVariable("ServiceBus__ConnectionString") : null;
            queue ??= Environment.GetEnvironmentVariable("ServiceBus__RunsQueue") is { Length: > 0 } fromEnvironment ? fromEnvironment : "autopay-runs";
            return new Arguments(command, numbers, all, yes, max, connectionString, ns, credential, queue);
        }

        public ServiceBusClient CreateClient()
        {
            if (Namespace is not null && ConnectionString is not null)
            {
                throw new FormatException("Give --connection-string or --namespace, not both.");
            }

            if (Namespace is not null)
            {
                if (Uri.CheckHostName(Namespace) != UriHostNameType.Dns || !Namespace.Contains('.', StringComparison.Ordinal))
                {
                    throw new FormatException("--namespace is a host name such as NAME.servicebus.windows.net.");
                }

                TokenCredential credential = Credential == "default" ? new DefaultAzureCredential() : new AzureCliCredential();
                return new ServiceBusClient(Namespace, credential);
            }

            if (string.IsNullOrWhiteSpace(ConnectionString))
            {
                throw new FormatException("Give --connection-string (or set ServiceBus__ConnectionString) for the local broker, or --namespace for Azure.");
            }

            try
            {
                return new ServiceBusClient(ConnectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                throw new FormatException("--connection-string is not a Service Bus connection string (Endpoint=sb://HOST:PORT;SharedAccessKeyName=...;SharedAccessKey=...).", ex);
            }
        }
    }
}
