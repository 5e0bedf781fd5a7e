using NodaTime;

namespace PayConnect.Payments;

/// <summary>
/// Something that happened to a charge after it was made, as the gateway reports it (Stripe webhooks; the sandbox
/// produces the same): a closed type. Each carries the gateway's event id (events arrive more than once) and the state
/// of one object (a refund, a dispute, the charge itself), never a delta: events arrive out of order, and the engine
/// compares states.
/// </summary>
public abstract record GatewayEvent(string EventId, string ChargeId, Instant OccurredAt)
{
    private protected GatewayEvent()
        : this(string.Empty, string.Empty, default)
    {
    }
}

/// <summary>A refund of the charge, in its current state (started by staff through the API or in the gateway's dashboard).</summary>
/// <param name="EventId">The gateway's event id.</param>
/// <param name="ChargeId">The charge (Stripe: the PaymentIntent).</param>
/// <param name="OccurredAt">When the gateway created the event.</param>
/// <param name="RefundId">The gateway's refund id.</param>
/// <param name="Amount">What the refund returns.</param>
/// <param name="Status">Its state now.</param>
/// <param name="RefundKey">Our key, when the refund was asked for through the API (<see cref="RefundRequest.MetadataKey"/>).</param>
public sealed record RefundChanged(string EventId, string ChargeId, Instant OccurredAt, string RefundId, Money Amount, GatewayRefundStatus Status, string? RefundKey)
    : GatewayEvent(EventId, ChargeId, OccurredAt);

/// <summary>The dispute of the charge, in its current state.</summary>
/// <param name="EventId">The gateway's event id.</param>
/// <param name="ChargeId">The charge (Stripe: the PaymentIntent).</param>
/// <param name="OccurredAt">When the gateway created the event.</param>
/// <param name="DisputeId">The gateway's dispute id.</param>
/// <param name="Amount">The disputed amount.</param>
/// <param name="Closed">False while open; true once decided.</param>
/// <param name="Won">Once closed: decided for the firm.</param>
/// <param name="Reason">The issuer's reason (fraudulent, product_not_received, ...).</param>
/// <param name="Fee">What the gateway charged for the dispute.</param>
public sealed record DisputeChanged(string EventId, string ChargeId, Instant OccurredAt, string DisputeId, Money Amount, bool Closed, bool Won, string? Reason, Money Fee)
    : GatewayEvent(EventId, ChargeId, OccurredAt);

/// <summary>The ACH debit settled: the money is in the account.</summary>
public sealed record AchSettled(string EventId, string ChargeId, Instant OccurredAt)
    : GatewayEvent(EventId, ChargeId, OccurredAt);

/// <summary>The payer's bank returned the ACH debit with a NACHA return code (R01–R85).</summary>
public sealed record AchReturned(string EventId, string ChargeId, Instant OccurredAt, string ReturnCode)
    : GatewayEvent(EventId, ChargeId, OccurredAt);

/// <summary>What a gateway's event endpoint received, once read.</summary>
public abstract record GatewayEventRead
{
    private GatewayEventRead()
    {
    }

    /// <summary>Signed by the gateway. <paramref name="Event"/> is null for a type the engine does not act on.</summary>
    public sealed record Verified(string EventId, string Type, GatewayEvent? Event) : GatewayEventRead;

    /// <summary>Not signed with the endpoint's secret (or too old, or not an event): nothing may change.</summary>
    public sealed record Refused(string Why) : GatewayEventRead;
}

/// <summary>Verifies and reads one gateway's event deliveries (an adapter: Stripe's webhook format, for Stripe and the sandbox).</summary>
public interface IGatewayEventReader
{
    /// <summary>The gateway's name in the endpoint's path (<c>stripe</c>, <c>sandbox</c>).</summary>
    string Gateway { get; }

    /// <param name="payload">The request body exactly as received (the signature covers its bytes).</param>
    /// <param name="signature">The signature header (Stripe: <c>Stripe-Signature</c>).</param>
    GatewayEventRead Read(string payload, string? signature);
}
