using System.Diagnostics;
using System.Diagnostics.Metrics;
using PayConnect.Runs;

namespace PayConnect.Observability;

/// <summary>
/// PayConnect's own traces and metrics, both named <see cref="Name"/>: a span for each step of a run (allocate, charge,
/// the gateway call, post) and the engine's counters. System.Diagnostics only: the worker decides whether and where
/// they are exported (Application Insights in Azure; nothing locally unless asked). Tags carry run keys, states,
/// currencies and reason codes, never a payment token, card or bank detail, or an email address.
/// </summary>
public static class Telemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "PayConnect";

    /// <summary>Spans of the run engine; <c>StartActivity</c> returns null when nothing listens.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> RunStates = Meter.CreateCounter<long>(
        Metrics.Runs, "{run}", "Runs that moved into a state, by state (Posted, Failed, AwaitingRetry, NothingDue, ...).");

    private static readonly Counter<long> AmountCharged = Meter.CreateCounter<long>(
        Metrics.Charged, "{minor_unit}", "Money charged and posted, in minor units of the currency tagged.");

    private static readonly Counter<long> RunRetries = Meter.CreateCounter<long>(
        Metrics.Retries, "{retry}", "Runs sent again later (scheduled redeliveries and retry-index entries), by reason.");

    /// <summary>Instrument names (Application Insights shows them as customMetrics names).</summary>
    public static class Metrics
    {
        public const string Runs = "payconnect.runs";
        public const string Charged = "payconnect.charged";
        public const string Retries = "payconnect.runs.retries";
        public const string DeadLetterDepth = "payconnect.deadletter.depth";
        public const string DueLag = "payconnect.runs.due_lag";
        public const string OutboxBacklog = "payconnect.outbox.backlog";
        public const string OutboxOldestAge = "payconnect.outbox.oldest_age";
    }

    /// <summary>Tag (attribute) names.</summary>
    public static class Tags
    {
        public const string RunKey = "payconnect.run.key";
        public const string RunState = "payconnect.run.state";
        public const string Attempt = "payconnect.run.attempt";
        public const string Currency = "payconnect.currency";
        public const string AmountMinor = "payconnect.amount_minor";
        public const string Reason = "payconnect.reason";
        public const string Outcome = "payconnect.outcome";
        public const string DeclineCode = "payconnect.decline_code";
        public const string Postings = "payconnect.postings";
    }

    /// <summary>Low-cardinality reasons a run is sent again later (the <see cref="Tags.Reason"/> of <see cref="Metrics.Retries"/>).</summary>
    public static class RetryReasons
    {
        public const string MmsUnavailable = "mms_unavailable";
        public const string GatewayUnconfirmed = "gateway_unconfirmed";
        public const string EarlierRunPending = "earlier_run_pending";
        public const string HoldContention = "hold_contention";
        public const string SoftDecline = "soft_decline";
        public const string Parked = "parked";
    }

    /// <summary>Starts a span of a run step (null when nothing listens), tagged with the run key.</summary>
    public static Activity? StartRunStep(string name, string runKey, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        activity?.SetTag(Tags.RunKey, runKey);
        return activity;
    }

    /// <summary>Runs one step of a run inside its span (<paramref name="name"/>), recording where it led or what failed it.</summary>
    public static async Task<RunStep> StepAsync(string name, string runKey, Func<Task<RunStep>> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        using var activity = StartRunStep(name, runKey);
        try
        {
            var result = await step().ConfigureAwait(false);
            Ended(activity, result);
            return result;
        }
        catch (Exception ex)
        {
            Failed(activity, ex);
            throw;
        }
    }

    /// <summary>Records what a step led to on its span: the run's state after it, or the delivery's outcome.</summary>
    public static void Ended(Activity? activity, RunStep step)
    {
        if (activity is null)
        {
            return;
        }

        switch (step)
        {
            case RunStep.Next next:
                activity.SetTag(Tags.RunState, next.Run.Value.State.ToString());
                break;
            case RunStep.Stop stop:
                activity.SetTag(Tags.Outcome, stop.Outcome.GetType().Name);
                break;
        }
    }

    /// <summary>Marks a span failed by an exception (type only: messages may quote what they should not).</summary>
    public static void Failed(Activity? activity, Exception exception)
    {
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
    }

    /// <summary>A run moved into <paramref name="state"/>.</summary>
    public static void RunMovedTo(RunState state) =>
        RunStates.Add(1, new KeyValuePair<string, object?>(Tags.RunState, state.ToString()));

    /// <summary>A run's charge was recorded with its postings.</summary>
    public static void Charged(long amountMinor, string currency) =>
        AmountCharged.Add(amountMinor, new KeyValuePair<string, object?>(Tags.Currency, currency));

    /// <summary>A run is sent again later for <paramref name="reason"/> (one of <see cref="RetryReasons"/>).</summary>
    public static void RetriedLater(string reason)
    {
        RunRetries.Add(1, new KeyValuePair<string, object?>(Tags.Reason, reason));
        Activity.Current?.SetTag(Tags.Reason, reason);
    }
}
