using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Storage;

namespace PayConnect.Notifications;

/// <summary>Settings of the outbox sender.</summary>
public sealed record OutboxOptions
{
    /// <summary>Base URL of the staff portal, for the link in the email.</summary>
    public Uri PortalBaseUrl { get; init; } = new("http://localhost:7071");

    /// <summary>How long a sender holds an email it is sending before another sender may take it over.</summary>
    public Duration ClaimFor { get; init; } = Duration.FromMinutes(5);

    /// <summary>First wait after a transient failure; doubled per attempt up to <see cref="MaxBackoff"/>.</summary>
    public Duration FirstBackoff { get; init; } = Duration.FromMinutes(1);

    public Duration MaxBackoff { get; init; } = Duration.FromHours(1);

    /// <summary>
    /// An index entry without its email row is dropped after this long: the run writing it crashed, and the run is
    /// redelivered (it completes only once its notifications are enqueued), which writes both again.
    /// </summary>
    public Duration OrphanAfter { get; init; } = Duration.FromMinutes(30);

    /// <summary>Emails handled in one call at most.</summary>
    public int MaxPerCall { get; init; } = 200;
}

/// <summary>What one <see cref="OutboxSender.SendPendingAsync"/> call did.</summary>
public sealed record OutboxSendReport(int Sent, int Deferred, int Rejected, int NotDue);

/// <summary>
/// The emails still waiting to be sent: how many, and since when the oldest has waited. <c>Complete</c> is false when
/// the count stopped at the reading's limit.
/// </summary>
public sealed record OutboxBacklog(int Pending, Instant? OldestSince, bool Complete);

/// <summary>
/// Writes notification emails into the outbox: one row per notification type, source and subscriber of that type,
/// inserted idempotently, and registered in the pending index (SPEC §2.6: exactly one per run per recipient).
/// </summary>
public sealed class NotificationOutbox(IRecordStore store, IClock clock, SubscriptionCache? subscriptions = null)
{
    /// <summary>Enqueues one email per subscriber of <paramref name="type"/>; safe to call again for the same source.</summary>
    /// <param name="firmId">The firm.</param>
    /// <param name="type">The notification type (<see cref="NotificationTypes"/>).</param>
    /// <param name="sourceKey">What the notification is about (a run key); with the type, it makes the email unique.</param>
    /// <param name="compose">Builds the email for a message id and recipient.</param>
    /// <param name="cancellationToken">Cancels the work; a repeat call finishes it.</param>
    /// <returns>How many subscribers the type has.</returns>
    public async Task<int> EnqueueAsync(string firmId, string type, string sourceKey, Func<string, EmailAddress, EmailMessage> compose, CancellationToken cancellationToken)
    {
        // No cache given (a test's hand-built outbox): read the subscriptions every time.
        var to = await (subscriptions ?? new SubscriptionCache(store, clock)).OfTypeAsync(firmId, type, cancellationToken).ConfigureAwait(false);
        if (to.Count == 0)
        {
            return 0;
        }

        await EnqueueToAsync(firmId, type, sourceKey, to.Select(s => (s.Email, s.DisplayName)).ToList(), compose, cancellationToken).ConfigureAwait(false);
        return to.Count;
    }

    /// <summary>
    /// Enqueues one email per recipient (a payer's contact addresses): the same one row per type, source and address,
    /// so a repeated call adds nothing.
    /// </summary>
    public async Task EnqueueToAsync(string firmId, string type, string sourceKey, IReadOnlyList<(string Email, string? DisplayName)> recipients, Func<string, EmailAddress, EmailMessage> compose, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        foreach (var subscriber in recipients)
        {
            var id = OutboxEmail.IdOf(type, sourceKey, subscriber.Email);
            EmailMessage message;
            try
            {
                message = compose(OutboxEmail.MessageIdOf(firmId, type, sourceKey, subscriber.Email), new EmailAddress(subscriber.Email, subscriber.DisplayName));
            }
            catch (ArgumentException ex)
            {
                // An address that can never receive mail (stored before the API required plain addresses): recorded as
                // rejected, once, and never retried.
                await InsertIfAbsentAsync(firmId, new OutboxEmail(id, firmId, type, sourceKey, subscriber.Email, subscriber.DisplayName, "(not sent)", string.Empty, string.Empty,
                    OutboxState.Rejected, 0, now, now, now) { LastError = ex.Message }, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Index first: an index entry without its email is harmless (dropped later), an email without an index entry would never be sent.
            await store.UpsertAsync(OutboxPendingEntry.Partition, new OutboxPendingEntry(firmId, id, now), cancellationToken).ConfigureAwait(false);
            var email = new OutboxEmail(id, firmId, type, sourceKey, subscriber.Email, subscriber.DisplayName, message.Subject, message.PlainText, message.Html,
                OutboxState.Pending, 0, now, now, now);
            try
            {
                await store.InsertAsync(firmId, email, cancellationToken).ConfigureAwait(false);
            }
            catch (ConcurrencyException ex) when (ex.AlreadyExists)
            {
                // Enqueued by an earlier delivery: one email per source, type and subscriber.
                var existing = await store.GetAsync<OutboxEmail>(firmId, id, cancellationToken).ConfigureAwait(false);
                if (existing is not null && existing.Value.State != OutboxState.Pending)
                {
                    await store.DeleteAsync<OutboxPendingEntry>(OutboxPendingEntry.Partition, OutboxPendingEntry.KeyOf(firmId, id), null, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The email of one type, source and address, as the outbox holds it (null when none was enqueued).</summary>
    public Task<Stored<OutboxEmail>?> FindAsync(string firmId, string type, string sourceKey, string address, CancellationToken cancellationToken) =>
        store.GetAsync<OutboxEmail>(firmId, OutboxEmail.IdOf(type, sourceKey, address), cancellationToken);

    /// <summary>
    /// Enqueues one email of <paramref name="type"/> to one address that is not a staff subscription (a payer's receipt);
    /// safe to call again for the same source. An address that cannot receive mail is recorded as rejected, once.
    /// </summary>
    public async Task EnqueueToAsync(string firmId, string type, string sourceKey, string address, string? displayName, Func<string, EmailAddress, EmailMessage> compose, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var now = clock.GetCurrentInstant();
        var id = OutboxEmail.IdOf(type, sourceKey, address);
        EmailMessage message;
        EmailAddress to;
        try
        {
            to = new EmailAddress(address, displayName);
            message = compose(OutboxEmail.MessageIdOf(firmId, type, sourceKey, address), to);
        }
        catch (ArgumentException ex)
        {
            await InsertIfAbsentAsync(firmId, new OutboxEmail(id, firmId, type, sourceKey, address, displayName, "(not sent)", string.Empty, string.Empty,
                OutboxState.Rejected, 0, now, now, now) { LastError = ex.Message }, cancellationToken).ConfigureAwait(false);
            return;
        }

        await store.UpsertAsync(OutboxPendingEntry.Partition, new OutboxPendingEntry(firmId, id, now), cancellationToken).ConfigureAwait(false);
        await InsertIfAbsentAsync(firmId, new OutboxEmail(id, firmId, type, sourceKey, to.Address, to.DisplayName, message.Subject, message.PlainText, message.Html,
            OutboxState.Pending, 0, now, now, now), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the pending index (one partition; entries of emails already final are counted until the sender next
    /// clears them), at most <paramref name="maxEntries"/> entries.
    /// </summary>
    public async Task<OutboxBacklog> BacklogAsync(int maxEntries, CancellationToken cancellationToken)
    {
        var pending = 0;
        Instant? oldest = null;
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<OutboxPendingEntry>(OutboxPendingEntry.Partition, string.Empty, 500, continuation, null, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items)
            {
                if (pending == maxEntries)
                {
                    return new OutboxBacklog(pending, oldest, false);
                }

                pending++;
                oldest = oldest is null || entry.Value.CreatedAt < oldest ? entry.Value.CreatedAt : oldest;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return new OutboxBacklog(pending, oldest, true);
    }

    private async Task InsertIfAbsentAsync(string firmId, OutboxEmail email, CancellationToken cancellationToken)
    {
        try
        {
            await store.InsertAsync(firmId, email, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException ex) when (ex.AlreadyExists)
        {
        }
    }
}

/// <summary>
/// Sends the pending outbox emails (SPEC §2.6): marks them Sent, keeps them pending with a growing wait on a
/// transient failure, marks them Rejected on a permanent one. A sender claims an email (ETag-checked) before sending,
/// so two senders never send the same email at once; a crash after sending resends it with the same message id.
/// </summary>
public sealed class OutboxSender(IRecordStore store, IEmailSender sender, IClock clock, OutboxOptions options, ILogger<OutboxSender>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<OutboxSender>.Instance;

    public async Task<OutboxSendReport> SendPendingAsync(CancellationToken cancellationToken)
    {
        int sent = 0, deferred = 0, rejected = 0, notDue = 0, seen = 0;
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<OutboxPendingEntry>(OutboxPendingEntry.Partition, string.Empty, 100, continuation, null, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items)
            {
                if (seen++ >= options.MaxPerCall)
                {
                    return new OutboxSendReport(sent, deferred, rejected, notDue);
                }

                switch (await SendOneAsync(entry.Value, cancellationToken).ConfigureAwait(false))
                {
                    case OutboxState.Sent:
                        sent++;
                        break;
                    case OutboxState.Rejected:
                        rejected++;
                        break;
                    case OutboxState.Pending:
                        deferred++;
                        break;
                    default:
                        notDue++;
                        break;
                }
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return new OutboxSendReport(sent, deferred, rejected, notDue);
    }

    /// <returns>The state the email ended in by this call, or null when it was not due (or not ours to send).</returns>
    private async Task<OutboxState?> SendOneAsync(OutboxPendingEntry entry, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var stored = await store.GetAsync<OutboxEmail>(entry.FirmId, entry.EmailId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            if (now - entry.CreatedAt > options.OrphanAfter)
            {
                await RemoveFromIndexAsync(entry, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }

        if (stored.Value.State != OutboxState.Pending)
        {
            await RemoveFromIndexAsync(entry, cancellationToken).ConfigureAwait(false);
            return null;
        }

        if (stored.Value.NextAttemptAt > now)
        {
            return null;
        }

        // Claim it: another sender reading the same version fails its ETag check and leaves it to us.
        Stored<OutboxEmail> claimed;
        try
        {
            claimed = await store.ReplaceAsync(entry.FirmId, stored.Value with { NextAttemptAt = now + options.ClaimFor, UpdatedAt = now }, stored.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
            return null;
        }

        var email = claimed.Value;
        var attempts = email.Attempts + 1;
        string? rejectedBecause = null, failedWith = null;
        OutboxEmail next;
        try
        {
            var message = new EmailMessage(email.MessageId, [new EmailAddress(email.ToAddress, email.ToDisplayName)], email.Subject, email.PlainText, email.Html);
            var result = await sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
            rejectedBecause = result.ErrorCode;
            next = result.IsSent
                ? email with { State = OutboxState.Sent, Attempts = attempts, SentAt = clock.GetCurrentInstant(), TransportReference = result.TransportReference, LastError = null }
                : email with { State = OutboxState.Rejected, Attempts = attempts, LastError = $"{result.ErrorCode}: {result.ErrorMessage}" };
        }
        catch (ArgumentException ex)
        {
            // The stored address or details cannot make an email (e.g. a malformed address): sending again cannot help.
            next = email with { State = OutboxState.Rejected, Attempts = attempts, LastError = ex.Message };
            rejectedBecause = "invalid_message";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // EmailTransientException, and per the IEmailSender contract anything unexpected: keep it, try later.
            failedWith = ex.GetType().Name;
            var retryAfter = ex is EmailTransientException { RetryAfter: { } hint } ? Duration.FromTimeSpan(hint) : Backoff(attempts);
            next = email with { Attempts = attempts, NextAttemptAt = clock.GetCurrentInstant() + retryAfter, LastError = ex.GetType().Name + ": " + ex.Message };
        }

        next = next with { UpdatedAt = clock.GetCurrentInstant() };
        try
        {
            await store.ReplaceAsync(entry.FirmId, next, claimed.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException)
        {
            // Our claim ran out while the transport was slow and another sender took the email over; it records the
            // outcome (a resend carries the same message id, which the transport recognises).
            return null;
        }
        if (next.State != OutboxState.Pending)
        {
            await RemoveFromIndexAsync(entry, cancellationToken).ConfigureAwait(false);
        }

        // The message id, type and run key say which email; never its address, subject or body, nor the transport's
        // error text (kept on the row), which may quote them.
        switch (next.State)
        {
            case OutboxState.Sent:
                _logger.LogInformation("Outbox email {EmailMessageId} ({NotificationType} about {SourceKey}, firm {FirmId}) sent on attempt {Attempts}",
                    email.MessageId, email.Type, email.SourceKey, email.FirmId, attempts);
                break;
            case OutboxState.Rejected:
                _logger.LogError("Outbox email {EmailMessageId} ({NotificationType} about {SourceKey}, firm {FirmId}) rejected for good on attempt {Attempts}: {ErrorCode}",
                    email.MessageId, email.Type, email.SourceKey, email.FirmId, attempts, rejectedBecause);
                break;
            default:
                _logger.LogWarning("Outbox email {EmailMessageId} ({NotificationType} about {SourceKey}, firm {FirmId}) not sent on attempt {Attempts} ({ErrorType}); next try at {NextAttemptAt}",
                    email.MessageId, email.Type, email.SourceKey, email.FirmId, attempts, failedWith, next.NextAttemptAt);
                break;
        }

        return next.State;
    }

    private Duration Backoff(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 20));
        var wait = options.FirstBackoff.TotalSeconds * factor;
        return Duration.FromSeconds(Math.Min(wait, options.MaxBackoff.TotalSeconds));
    }

    private Task<bool> RemoveFromIndexAsync(OutboxPendingEntry entry, CancellationToken cancellationToken) =>
        store.DeleteAsync<OutboxPendingEntry>(OutboxPendingEntry.Partition, entry.Key, null, cancellationToken);
}
