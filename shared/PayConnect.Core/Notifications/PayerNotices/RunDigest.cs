using Microsoft.Extensions.Logging;
using NodaTime;
using PayConnect.Connect;
using PayConnect.Runs;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Notifications.PayerNotices;

/// <summary>
/// One run's line in its firm's daily digest: written (upserted, so a redelivery writes it again harmlessly) when the run
/// is posted or fails for good, keyed by the firm-local date it happened, so a day's lines are one key-prefix query. Each
/// run writes its own entity: no record is shared by the runs of a firm.
/// </summary>
public sealed record RunDigestLine(
    LocalDate Day,
    string Outcome,
    string RunKey,
    string ScheduleId,
    LocalDate RunDate,
    string ScheduleName,
    string PayerName,
    long? AmountMinor,
    string? Currency,
    string? Reason) : IFirmRecord
{
    public const string Charged = "C";
    public const string Failed = "F";

    public static string Table => RunDigestTable.Name;

    public string Key => DayPrefix(Day) + Outcome + "~" + RunKey;

    public static string DayPrefix(LocalDate day) => "D~" + EmailTemplates.IsoDateOf(day) + "~";
}

/// <summary>A firm that has RunSummary subscribers (an index under one pseudo-firm, so the digest finds firms without scanning).</summary>
public sealed record RunDigestFirm(string FirmId, Instant Since) : IFirmRecord
{
    public const string Partition = "~run-digest";

    public static string Table => RunDigestTable.Name;

    public string Key => FirmId;
}

/// <summary>The digest of one firm-local day was composed (whether or not anything was sent).</summary>
public sealed record RunDigestSent(LocalDate Day, int Charged, int Failed, int Waiting, Instant At) : IFirmRecord
{
    public static string Table => RunDigestTable.Name;

    public string Key => "S~" + EmailTemplates.IsoDateOf(Day);
}

public static class RunDigestTable
{
    public const string Name = "RunDigest";
}

/// <summary>What one digest sweep did.</summary>
public sealed record DigestSweepResult(int Firms, int Digests);

/// <summary>
/// The daily per-firm digest (<see cref="NotificationTypes.RunSummary"/>): once a firm's day is over, its RunSummary
/// subscribers get the runs charged and failed that day and the runs waiting for approval now; exactly once per day and
/// subscriber (the outbox's key). A day with nothing to report sends nothing.
/// </summary>
public sealed class RunDigest(IRecordStore store, RunLedger ledger, NotificationOutbox outbox, NotificationLinks links, OutboxOptions outboxOptions, IClock clock, ILogger<RunDigest> logger, SubscriptionCache? subscriptions = null)
{
    /// <summary>
    /// Writes the run's line for its day's digest when the firm has a digest subscriber (a firm without one pays no
    /// write per run; a digest covers the runs since its first subscriber). True when the line was written.
    /// </summary>
    public async Task<bool> RecordAsync(string firmId, FirmSettings? firm, RunRecord run, string? scheduleName, string? payerName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (subscriptions is not null && !await subscriptions.AnyAsync(firmId, NotificationTypes.RunSummary, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var day = FirmClock.TodayIn(firm?.Zone() ?? DateTimeZone.Utc, run.UpdatedAt);
        await store.UpsertAsync(firmId, new RunDigestLine(
            day,
            run.State == RunState.Posted ? RunDigestLine.Charged : RunDigestLine.Failed,
            run.RunKey,
            run.ScheduleId,
            run.RunDate,
            scheduleName ?? run.ScheduleId,
            payerName ?? run.Snapshot?.PayerId ?? "(unknown payer)",
            run.AmountMinor,
            run.Currency,
            run.State == RunState.Posted ? null : run.FailureReason), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Registers a firm whose staff subscribed to the digest.</summary>
    public Task RegisterFirmAsync(string firmId, CancellationToken cancellationToken) =>
        store.UpsertAsync(RunDigestFirm.Partition, new RunDigestFirm(firmId, clock.GetCurrentInstant()), cancellationToken);

    public async Task<DigestSweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        int firms = 0, digests = 0;
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<RunDigestFirm>(RunDigestFirm.Partition, string.Empty, 200, continuation, null, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items)
            {
                firms++;
                digests += await DigestYesterdayAsync(entry.Value.FirmId, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return new DigestSweepResult(firms, digests);
    }

    /// <summary>Composes the digest of the firm's previous day once; true when this call enqueued it.</summary>
    public async Task<bool> DigestYesterdayAsync(string firmId, CancellationToken cancellationToken)
    {
        var firm = (await store.GetAsync<FirmSettings>(firmId, "settings", cancellationToken).ConfigureAwait(false))?.Value;
        if (firm is null)
        {
            return false;
        }

        var zone = firm.Zone();
        var day = firm.TodayAt(clock.GetCurrentInstant()).PlusDays(-1);
        var marker = new RunDigestSent(day, 0, 0, 0, clock.GetCurrentInstant());
        if (await store.GetAsync<RunDigestSent>(firmId, marker.Key, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        var lines = new List<RunDigestLine>();
        string? continuation = null;
        do
        {
            var page = await store.ListAsync<RunDigestLine>(firmId, RunDigestLine.DayPrefix(day), 500, continuation, null, cancellationToken).ConfigureAwait(false);
            lines.AddRange(page.Items.Select(i => i.Value));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        var waiting = new List<Dictionary<string, object?>>();
        continuation = null;
        do
        {
            var page = await ledger.AwaitingApprovalAsync(firmId, 200, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Items.Select(i => i.Value))
            {
                var schedule = (await store.GetAsync<Schedule>(firmId, entry.ScheduleId, cancellationToken).ConfigureAwait(false))?.Value;
                var payer = schedule is null ? null : (await store.GetAsync<Payer>(firmId, schedule.PayerId, cancellationToken).ConfigureAwait(false))?.Value;
                waiting.Add(new Dictionary<string, object?>
                {
                    ["schedule"] = schedule?.Name ?? entry.ScheduleId,
                    ["payer"] = payer?.Name ?? schedule?.PayerId ?? "(unknown payer)",
                    ["date"] = EmailTemplates.IsoDateOf(entry.RunDate),
                    ["amount"] = EmailTemplates.Amount(entry.AmountMinor, entry.Currency),
                    ["since"] = EmailTemplates.At(entry.Since, zone),
                });
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        var charged = lines.Where(l => l.Outcome == RunDigestLine.Charged).ToList();
        var failed = lines.Where(l => l.Outcome == RunDigestLine.Failed).ToList();
        marker = marker with { Charged = charged.Count, Failed = failed.Count, Waiting = waiting.Count };
        if (charged.Count + failed.Count + waiting.Count > 0)
        {
            var model = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["firm_name"] = firm.Name,
                ["day"] = EmailTemplates.Date(day),
                ["day_iso"] = EmailTemplates.IsoDateOf(day),
                ["zone"] = zone.Id,
                ["charged_count"] = charged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["charged_total"] = string.Join(" + ", charged.GroupBy(l => l.Currency ?? firm.Currency).Select(g => EmailTemplates.Amount(g.Sum(l => l.AmountMinor ?? 0), g.Key)).DefaultIfEmpty(EmailTemplates.Amount(0, firm.Currency))),
                ["failed_count"] = failed.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["waiting_count"] = waiting.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["charged"] = charged.Select(l => Row(l, EmailTemplates.Amount(l.AmountMinor ?? 0, l.Currency ?? firm.Currency))).ToList(),
                ["failed"] = failed.Select(l => Row(l, l.Reason ?? "failed")).ToList(),
                ["waiting"] = waiting,
                ["link"] = outboxOptions.PortalBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/autopay/runs",
            };
            await outbox.EnqueueAsync(firmId, NotificationTypes.RunSummary, "day~" + EmailTemplates.IsoDateOf(day), (id, to) =>
            {
                var email = EmailTemplates.Render("run-summary", new Dictionary<string, object?>(model, StringComparer.Ordinal)
                {
                    ["unsubscribe_url"] = links.ForStaff(firmId, to.Address, NotificationTypes.RunSummary).AbsoluteUri,
                    ["unsubscribe_reason"] = "You receive this because you subscribed to the AutoPay daily summary.",
                });
                return new EmailMessage(id, [to], email.Subject, email.PlainText, email.Html);
            }, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await store.InsertAsync(firmId, marker, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException ex) when (ex.AlreadyExists)
        {
        }

        logger.LogInformation("Run summary of firm {FirmId} for {Day}: {Charged} charged, {Failed} failed, {Waiting} waiting", firmId, day, charged.Count, failed.Count, waiting.Count);
        return charged.Count + failed.Count + waiting.Count > 0;

        static Dictionary<string, object?> Row(RunDigestLine l, string detail) => new()
        {
            ["schedule"] = l.ScheduleName,
            ["payer"] = l.PayerName,
            ["date"] = EmailTemplates.IsoDateOf(l.RunDate),
            ["amount"] = detail,
            ["reason"] = detail,
        };
    }
}
