using System.Text.Json;
using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Observability;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>What one delivery of a run message knows while it works.</summary>
/// <param name="key">The run.</param>
/// <param name="message">The message body.</param>
/// <param name="deliveryCount">How many times the broker has delivered this message.</param>
/// <param name="messageId">The delivered message's id (the run key for the fan-out's message); null when unknown.</param>
public sealed class RunContext(RunKey key, RunMessage message, int deliveryCount, string? messageId = null)
{
    public RunKey Key { get; } = key;

    /// <summary>The id of the message being delivered; its delayed copies are named after it (<see cref="RunMessage.NextMessageId"/>).</summary>
    public string MessageId { get; } = string.IsNullOrEmpty(messageId) ? key.Format() : messageId;

    public string FirmId => Key.FirmId;

    public string RunKey => Key.Format();

    public RunMessage Message { get; } = message;

    public int DeliveryCount { get; } = deliveryCount;

    /// <summary>The schedule as read in this delivery (null until read, or when it does not exist).</summary>
    public Stored<Schedule>? Schedule { get; set; }

    /// <summary>True once the schedule was read in this delivery: a charge right after needs no second read.</summary>
    public bool ScheduleRead { get; set; }

    /// <summary>True when this delivery allocated the run: no charge can have been attempted under its key before.</summary>
    public bool AllocatedHere { get; set; }

    /// <summary>
    /// The payer as this delivery sees it: the schedule's copy, or else read once (the notice gate, the surcharge rule
    /// and the follow-ups share it); null when the payer does not exist.
    /// </summary>
    public async ValueTask<Payer?> PayerAsync(IRecordStore store, string payerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (_payer is { } read && read.Id == payerId)
        {
            return read.Payer;
        }

        // The schedule's copy (kept current by every payer change) when this delivery read a schedule that has one.
        if (Schedule?.Value is { PayerCopy: { } copy } schedule && schedule.PayerId == payerId)
        {
            return copy.ToPayer(payerId, schedule.CreatedAt);
        }

        var payer = (await store.GetAsync<Payer>(FirmId, payerId, cancellationToken).ConfigureAwait(false))?.Value;
        _payer = (payerId, payer);
        return payer;
    }

    private (string Id, Payer? Payer)? _payer;

    /// <summary>The client ledgers as this delivery last wrote them (with their new ETags): the next commit tries these first.</summary>
    public Dictionary<string, Stored<ClientLedger>> Ledgers { get; } = new(StringComparer.Ordinal);
}

/// <summary>What a step did: the run moved on (continue with it), or the delivery is over.</summary>
public abstract record RunStep
{
    private RunStep()
    {
    }

    public sealed record Next(Stored<RunRecord> Run) : RunStep;

    public sealed record Stop(MessageOutcome Outcome) : RunStep;

    public static RunStep Done => new Stop(MessageOutcome.Completed);
}

/// <summary>
/// Processes one run (SPEC §2.3–§2.6) from its queue message by moving its record from state to state with the step
/// that owns each state: <see cref="RunAllocator"/> (allocate, or skip), <see cref="RunCharger"/> (charge and post),
/// <see cref="RunFollowUp"/> (notify, end the schedule after its last run). A redelivered or concurrent duplicate
/// message resumes from the stored state; every move is ETag-checked, so only one delivery makes it.
/// </summary>
public sealed class RunProcessor(
    RunLedger ledger,
    RunAllocator allocator,
    RunCharger charger,
    RunFollowUp followUp,
    LedgerMigration migration,
    FirmSettingsCache firms,
    IRunQueue queue,
    IClock clock,
    ILogger<RunProcessor> logger) : IMessageHandler
{
    private const int MaxSteps = 24;

    /// <summary>
    /// Reads the run from the body (<c>{"runKey":"firm/sched/yyyy-MM-dd", ...}</c>, see <see cref="RunMessage"/>) or,
    /// without a body, from the message id; a malformed or contradicting key is dead-lettered. Unexpected exceptions
    /// (storage down) propagate: the drain releases the message and the next delivery resumes from the stored state.
    /// </summary>
    public async Task<MessageOutcome> HandleAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TryRead(message, out var key, out var body, out var problem))
        {
            logger.LogError("Run message {MessageId} dead-lettered: {Problem}", message.MessageId, problem);
            return new MessageOutcome.DeadLetter("MalformedRunKey", problem);
        }

        // The drain's span of this delivery: searchable by run key.
        System.Diagnostics.Activity.Current?.SetTag(Telemetry.Tags.RunKey, body.RunKey);
        await migration.EnsureAsync(key.FirmId, cancellationToken).ConfigureAwait(false);
        var context = new RunContext(key, body, message.DeliveryCount, message.MessageId);

        // The insert is the claim: the fan-out's first delivery goes straight to allocation; anything else reads first.
        var firstDelivery = message.DeliveryCount <= 1 && body.Generation == 0 && message.MessageId == body.RunKey;
        var run = firstDelivery ? null : await ledger.RunAsync(key.FirmId, key.ScheduleId, key.RunDate, cancellationToken).ConfigureAwait(false);
        return await ProcessAsync(context, run, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the run as far as it can go now.</summary>
    public async Task<MessageOutcome> ProcessAsync(RunContext context, Stored<RunRecord>? run, CancellationToken cancellationToken)
    {
        var blockedAtStart = run is null || run.Value.BlocksLaterRuns;
        for (var step = 0; step < MaxSteps; step++)
        {
            var before = run?.Value.State;
            RunStep next;
            try
            {
                next = run?.Value.State switch
                {
                    null => await allocator.AllocateAsync(context, null, cancellationToken).ConfigureAwait(false),
                    RunState.AwaitingRetry => await RetryIfDueAsync(context, run, cancellationToken).ConfigureAwait(false),
                    RunState.Returned when run.Value.RetryOn is not null => await RetryIfDueAsync(context, run, cancellationToken).ConfigureAwait(false),
                    RunState.Posted => await followUp.PostedAsync(context, run, cancellationToken).ConfigureAwait(false),
                    RunState.Allocated => await charger.ChargeAsync(context, run, cancellationToken).ConfigureAwait(false),
                    RunState.Charged => await charger.PostAsync(context, run, null, cancellationToken).ConfigureAwait(false),
                    RunState.AwaitingApproval => await followUp.NotifyAsync(context, run, cancellationToken).ConfigureAwait(false),
                    RunState.Failed => await followUp.NotifyAsync(context, run, cancellationToken).ConfigureAwait(false),
                    _ => await followUp.CompleteScheduleAsync(context, run, cancellationToken).ConfigureAwait(false),
                };
            }
            catch (ConcurrencyException ex) when (!ex.AlreadyExists)
            {
                // Another delivery of this run moved the record first: continue from wherever it is now.
                next = await RereadAsync(context, cancellationToken).ConfigureAwait(false);
            }

            switch (next)
            {
                case RunStep.Stop stop:
                    if (blockedAtStart && run is not null && !run.Value.BlocksLaterRuns)
                    {
                        await WakeNextRunAsync(context, run.Value, cancellationToken).ConfigureAwait(false);
                    }

                    return stop.Outcome;
                case RunStep.Next moved:
                    if (moved.Run.Value.State != before)
                    {
                        logger.LogInformation(
                            "Run {RunKey} {FromState} -> {State}: amount {AmountMinor} {Currency}, attempt {Attempt}, {FailureCode} {Reason}",
                            context.RunKey, before?.ToString() ?? "new", moved.Run.Value.State, moved.Run.Value.AmountMinor, moved.Run.Value.Currency,
                            moved.Run.Value.Attempt, moved.Run.Value.FailureCode, moved.Run.Value.FailureReason);
                        Telemetry.RunMovedTo(moved.Run.Value.State);
                    }

                    run = moved.Run;
                    break;
            }
        }

        return new MessageOutcome.Retry("The run record kept changing under this delivery.");
    }

    /// <summary>
    /// This run no longer holds up the schedule's next run (it finished, was parked, or waits for a retry or an
    /// approval): if that run was sent already, it is waiting; send it a wake-up so it need not wait out its delay.
    /// </summary>
    private async Task WakeNextRunAsync(RunContext context, RunRecord run, CancellationToken cancellationToken)
    {
        if (context.Schedule?.Value is not { LastSentRunDate: { } lastSent } schedule || lastSent <= run.RunDate
            || !Frequency.TryParse(schedule.Frequency, out var frequency))
        {
            return;
        }

        var next = Recurrence.OccurrencesFrom(frequency, schedule.FirstRunDate, run.RunDate.PlusDays(1)).FirstOrDefault();
        if (next == default || next > lastSent)
        {
            return;
        }

        var key = new RunKey(context.FirmId, schedule.Id, next);
        try
        {
            await queue.SendAsync([new RunDispatch(key, run.RunDate, key.Format() + "#after-" + NodaTime.Text.LocalDatePattern.Iso.Format(run.RunDate))], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The waiting run's own delayed copy comes anyway.
            logger.LogWarning(ex, "Run {RunKey} could not wake the next run {NextRunKey}", context.RunKey, key.Format());
        }
    }

    private async Task<RunStep> RetryIfDueAsync(RunContext context, Stored<RunRecord> run, CancellationToken cancellationToken)
    {
        var settings = await firms.GetAsync(context.FirmId, cancellationToken).ConfigureAwait(false);
        var today = FirmClock.TodayIn(settings?.Zone() ?? DateTimeZone.Utc, clock.GetCurrentInstant());
        return run.Value.RetryOn is { } retryOn && retryOn <= today
            ? await allocator.AllocateAsync(context, run, cancellationToken).ConfigureAwait(false)
            : RunStep.Done;
    }

    private async Task<RunStep> RereadAsync(RunContext context, CancellationToken cancellationToken)
    {
        var run = await ledger.RunAsync(context.FirmId, context.Key.ScheduleId, context.Key.RunDate, cancellationToken).ConfigureAwait(false);
        return run is null ? new RunStep.Stop(new MessageOutcome.Retry("The run record disappeared.")) : new RunStep.Next(run);
    }

    private static bool TryRead(QueuedMessage message, out RunKey key, out RunMessage body, out string problem)
    {
        key = default;
        body = new RunMessage(string.Empty);
        if (!message.Body.IsEmpty)
        {
            try
            {
                var read = JsonSerializer.Deserialize<RunMessage>(message.Body.Span, RecordJson.Options);
                if (read?.RunKey is not { Length: > 0 })
                {
                    problem = "The message body has no string 'runKey'.";
                    return false;
                }

                body = read;
            }
            catch (JsonException)
            {
                problem = "The message body is not a run message.";
                return false;
            }
        }
        else
        {
            body = new RunMessage(message.MessageId);
        }

        if (!Scheduling.RunKey.TryParse(body.RunKey, out key))
        {
            problem = $"'{Truncate(body.RunKey)}' is not a run key 'firmId/scheduleId/yyyy-MM-dd'.";
            return false;
        }

        // A message id that is itself a run key must name the same run (later copies carry '#' suffixes).
        if (!string.IsNullOrEmpty(message.MessageId) && message.MessageId != body.RunKey && Scheduling.RunKey.TryParse(message.MessageId, out _))
        {
            problem = $"The message id '{Truncate(message.MessageId)}' names another run than its body.";
            return false;
        }

        problem = string.Empty;
        return true;
    }

    private static string Truncate(string? text) => text is null ? "(null)" : text.Length <= 120 ? text : text[..120] + "…";
}
