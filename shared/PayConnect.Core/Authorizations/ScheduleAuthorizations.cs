using NodaTime;
using PayConnect.Api;
using PayConnect.Connect;
using PayConnect.Notifications;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Authorizations;

/// <summary>How an authorization was captured, as a request gives it (before it is stamped with who and when).</summary>
public sealed record CaptureInput(CaptureMethod Method, string? Reference, AmountRange? Range);

/// <summary>
/// Keeps a schedule's authorization in step with the schedule: the first version when it is created, a new one whenever a
/// change widens what the payer authorized (<see cref="AuthorizationTerms.Widening"/>). The version in effect travels in
/// the schedule record (<see cref="Schedule.Authorization"/>), written with it, and is copied insert-only into the retained
/// authorization records (<see cref="KeepAsync"/>); a copy interrupted by a crash is made by the next read of the list.
/// </summary>
public sealed class ScheduleAuthorizations(IRecordStore store, Runs.RunLedger ledger, IClock clock)
{
    public const string TextTemplate = "authorization-text";
    public const int MaxReferenceLength = 200;

    /// <summary>
    /// Returns <paramref name="after"/> carrying its authorization: the version of <paramref name="before"/> when the change
    /// widens nothing, else the next version with the new terms, the rendered text and <paramref name="capture"/>. A
    /// change of cadence restarts the one-year lifetime from the new first run date (the new version's year).
    /// </summary>
    public async Task<Schedule> AttachAsync(string firmId, Schedule? before, Schedule after, CaptureInput capture, string by, CancellationToken cancellationToken, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(capture);
        if (before is not null && (before.Frequency != after.Frequency || before.FirstRunDate != after.FirstRunDate))
        {
            after = (after with { AuthorizedUntil = null }).WithNextRun();
        }

        var current = after.Authorization ?? before?.Authorization;
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", cancellationToken).ConfigureAwait(false);
        var terms = await TermsAsync(firmId, after, capture.Range ?? current?.Terms.Range, cancellationToken).ConfigureAwait(false);
        var widening = current is null ? ["created"] : current.Terms.Widening(terms);
        if (widening.Count == 0 && reason is null)
        {
            return after with { Authorization = current };
        }

        var payer = await store.GetAsync<Payer>(firmId, after.PayerId, cancellationToken).ConfigureAwait(false);
        var now = clock.GetCurrentInstant();
        var version = new AuthorizationVersion(
            after.Id,
            after.PayerId,
            payer?.Value.Name ?? after.PayerId,
            (current?.Version ?? 0) + 1,
            terms,
            Text(firm?.Value, payer?.Value.Name ?? after.PayerId, terms),
            TextTemplate,
            new AuthorizationCapture(capture.Method, capture.Reference, by, now),
            reason ?? (current is null ? "Created with the schedule." : "Widened: " + string.Join(", ", widening) + "."),
            now);
        return after with { Authorization = version };
    }

    /// <summary>
    /// Copies the schedule's authorization in effect into the retained records (insert only; a copy already there stays
    /// as it is) and makes sure the retention record exists.
    /// </summary>
    public async Task KeepAsync(string firmId, Schedule schedule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (schedule.Authorization is not { } version)
        {
            return;
        }

        await InsertIfAbsentAsync(firmId, version, cancellationToken).ConfigureAwait(false);
        var firm = await store.GetAsync<FirmSettings>(firmId, "settings", cancellationToken).ConfigureAwait(false);
        var today = firm?.Value.TodayAt(clock.GetCurrentInstant()) ?? FirmClock.TodayIn(DateTimeZone.Utc, clock.GetCurrentInstant());
        await InsertIfAbsentAsync(firmId, new AuthorizationRetention(schedule.Id, null, today.Plus(AuthorizationRetention.KeepFor), clock.GetCurrentInstant()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// How long the schedule's authorization records are kept: two years past its last payment, never less than two
    /// years after the authorization was first recorded. The last payment is read from the schedule's runs (every charge
    /// is an event on its run, and runs are never deleted), so a payment costs the run no write here; the stored record
    /// keeps the first floor and any payment recorded before runs carried it (docs/decisions/0043).
    /// </summary>
    public async Task<AuthorizationRetention?> RetentionAsync(string firmId, string scheduleId, CancellationToken cancellationToken)
    {
        var stored = (await store.GetAsync<AuthorizationRetention>(firmId, AuthorizationRetention.KeyOf(scheduleId), cancellationToken).ConfigureAwait(false))?.Value;
        var zone = (await store.GetAsync<FirmSettings>(firmId, "settings", cancellationToken).ConfigureAwait(false))?.Value.Zone() ?? DateTimeZone.Utc;
        var last = stored?.LastPaymentOn;
        foreach (var run in await ledger.RunsOfScheduleAsync(firmId, scheduleId, cancellationToken).ConfigureAwait(false))
        {
            foreach (var charged in run.Value.Events.Where(e => e.What == "Charged"))
            {
                var on = FirmClock.TodayIn(zone, charged.At);
                last = last is { } known && known >= on ? known : on;
            }
        }

        if (stored is null && last is null)
        {
            return null;
        }

        var byPayment = last?.Plus(AuthorizationRetention.KeepFor);
        var until = stored is null ? byPayment!.Value : byPayment is { } b && b > stored.RetainUntil ? b : stored.RetainUntil;
        return new AuthorizationRetention(scheduleId, last, until, stored?.UpdatedAt ?? clock.GetCurrentInstant());
    }

    /// <summary>The terms the schedule authorizes as it stands.</summary>
    public async Task<AuthorizationTerms> TermsAsync(string firmId, Schedule s, AmountRange? range, CancellationToken cancellationToken)
    {
        var method = await store.GetAsync<PaymentMethod>(firmId, PaymentMethod.KeyOf(s.PayerId, s.PaymentMethodId), cancellationToken).ConfigureAwait(false);
        var account = await store.GetAsync<BankAccount>(firmId, s.BankAccountId, cancellationToken).ConfigureAwait(false);
        var timeline = s.Timeline();
        return new AuthorizationTerms(
            s.EnrolledScopes.Select(e => $"{e.Level} {e.Number}").Order(StringComparer.OrdinalIgnoreCase).ToList(),
            s.AmountRule,
            s.CapMinor,
            s.Currency,
            s.MakeUp,
            s.Frequency,
            s.FirstRunDate,
            s.PaymentMethodId,
            method is null ? s.PaymentMethodId : MethodLabel(method.Value),
            method?.Value.Kind ?? s.Charging?.PaymentMethodKind ?? PaymentMethodKind.Card,
            s.BankAccountId,
            account is null ? s.BankAccountId : $"{account.Value.Name} ({account.Value.Kind})",
            s.Lifetime,
            timeline.LifetimeEnd,
            range);
    }

    /// <summary>"Visa ending in 4242".</summary>
    public static string MethodLabel(PaymentMethod method) =>
        method.Last4 is { Length: 4 } last4 && last4.All(char.IsAsciiDigit) ? $"{method.DisplayName} ending in {last4}" : method.DisplayName;

    /// <summary>The authorization text shown to the payer for these terms (<c>authorization-text.liquid</c>).</summary>
    public static string Text(FirmSettings? firm, string payerName, AuthorizationTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        return EmailTemplates.RenderText(TextTemplate, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["payer_name"] = payerName,
            ["firm_name"] = firm?.Name ?? "the firm",
            ["payment_method"] = terms.PaymentMethod,
            ["frequency"] = FrequencyWords(terms.Frequency),
            ["first_run"] = EmailTemplates.IsoDateOf(terms.FirstRunDate),
            ["amount_rule"] = terms.AmountRule == AmountRuleKind.PayAllOutstanding
                ? "all that is outstanding"
                : $"up to {EmailTemplates.Amount(terms.CapMinor ?? 0, terms.Currency)} a payment",
            ["scope"] = terms.Scopes.Count == 0 ? "the invoices enrolled later (none yet)" : "the invoices of " + string.Join(", ", terms.Scopes),
            ["deposit"] = terms.BankAccount,
            ["make_up"] = terms.MakeUp == MakeUpPolicy.RollIntoNext ? "yes" : null,
            ["range"] = terms.Range is { } r ? $"{EmailTemplates.Amount(r.MinMinor, terms.Currency)} and {EmailTemplates.Amount(r.MaxMinor, terms.Currency)}" : null,
            ["ends"] = terms.AuthorizedUntil is { } end ? EmailTemplates.IsoDateOf(end) : null,
            ["notice_days"] = (firm?.PreChargeNoticeDays ?? FirmSettings.DefaultPreChargeNoticeDays).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Monthly → "every month"; TwiceMonthly:1,15 → "on days 1 and 15 of every month".</summary>
    public static string FrequencyWords(string frequency) => Frequency.TryParse(frequency, out var f) ? f switch
    {
        Frequency.Once => "once",
        Frequency.Weekly => "every week",
        Frequency.EveryNWeeks n => $"every {n.N} weeks",
        Frequency.TwiceMonthly t => $"on days {t.Day1} and {t.Day2} of every month",
        Frequency.Monthly => "every month",
        Frequency.Quarterly => "every quarter",
        Frequency.SemiAnnually => "every six months",
        Frequency.Annually => "every year",
        _ => frequency,
    } : frequency;

    private async Task InsertIfAbsentAsync<T>(string firmId, T record, CancellationToken cancellationToken)
        where T : IFirmRecord
    {
        try
        {
            await store.InsertAsync(firmId, record, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyException ex) when (ex.AlreadyExists)
        {
            // Insert only: what is there stays.
        }
    }
}
