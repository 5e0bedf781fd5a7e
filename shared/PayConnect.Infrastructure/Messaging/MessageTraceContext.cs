using System.Diagnostics;

namespace PayConnect.Infrastructure.Messaging;

/// <summary>
/// W3C trace context in a Service Bus message's application properties, so that one run is one trace from the fan-out
/// through the queue to the drain: <c>traceparent</c> (and <c>tracestate</c>) as W3C Trace Context names them, and
/// <c>Diagnostic-Id</c> with the same value, the property the Service Bus SDKs and Application Insights read.
/// </summary>
public static class MessageTraceContext
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";
    public const string DiagnosticId = "Diagnostic-Id";

    /// <summary>Writes <paramref name="context"/> into <paramref name="properties"/>; nothing when there is no context.</summary>
    public static void Write(IDictionary<string, object> properties, ActivityContext context)
    {
        ArgumentNullException.ThrowIfNull(properties);
        if (context == default)
        {
            return;
        }

        var flags = (context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00";
        var traceParent = $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{flags}";
        properties[TraceParent] = traceParent;
        properties[DiagnosticId] = traceParent;
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            properties[TraceState] = context.TraceState;
        }
        else
        {
            properties.Remove(TraceState);
        }
    }

    /// <summary>The context a message carries (<c>traceparent</c>, else a W3C <c>Diagnostic-Id</c>), or default.</summary>
    public static ActivityContext Read(IReadOnlyDictionary<string, object> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var state = properties.TryGetValue(TraceState, out var s) ? s as string : null;
        foreach (var name in new[] { TraceParent, DiagnosticId })
        {
            if (properties.TryGetValue(name, out var value) && value is string text
                && ActivityContext.TryParse(text, state, isRemote: true, out var context))
            {
                return context;
            }
        }

        return default;
    }

    /// <summary>
    /// Starts a span that begins a trace of its own even inside another one (<paramref name="link"/> points back to
    /// it), leaving <see cref="Activity.Current"/> as it was. The caller stops it with <see cref="StopDetached"/>.
    /// </summary>
    public static Activity? StartDetached(ActivitySource source, string name, ActivityKind kind, ActivityContext link, IEnumerable<KeyValuePair<string, object?>> tags)
    {
        ArgumentNullException.ThrowIfNull(source);
        var current = Activity.Current;
        Activity.Current = null;
        try
        {
            return source.StartActivity(name, kind, default(ActivityContext), tags, link == default ? null : [new ActivityLink(link)]);
        }
        finally
        {
            Activity.Current = current;
        }
    }

    /// <summary>Stops a span from <see cref="StartDetached"/> without changing <see cref="Activity.Current"/>.</summary>
    public static void StopDetached(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }
}
