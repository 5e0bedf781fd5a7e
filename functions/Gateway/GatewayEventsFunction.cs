using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using PayConnect.Api;
using PayConnect.Functions.Http;
using PayConnect.Payments;
using PayConnect.Reversals;

namespace PayConnect.Functions.Gateway;

/// <summary>
/// The payment gateway's event deliveries (docs/money-after-the-charge.md). No App Service token on this path (the
/// gateway has none; infra excludes it): a delivery is accepted only when signed with the webhook secret, and a refused
/// one changes nothing. The body is read exactly as sent, since the signature covers its bytes.
/// </summary>
public sealed class GatewayEventsFunction(IGatewayEventReader reader, GatewayEventHandler handler, ILogger<GatewayEventsFunction> logger)
{
    /// <summary>Stripe's events are small; a body beyond this is not one.</summary>
    public const int MaxBodyBytes = 512 * 1024;

    /// <summary>Receives a payment-gateway event (refund, dispute, ACH settlement or return), signed with the webhook secret (Stripe-Signature).</summary>
    [Function("ReceiveGatewayEvent")]
    [ApiOperation(Anonymous = true, Response = typeof(GatewayEventResponse), Problems = [400, 401, 404, 503])]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "gateway/{gateway}/events")] HttpRequest request,
        string gateway,
        CancellationToken cancellationToken)
    {
        if (!string.Equals(gateway, reader.Gateway, StringComparison.Ordinal))
        {
            return HttpApi.Problem(request, 404, "Not found", $"This app takes events from its own gateway only ({reader.Gateway}).");
        }

        var payload = await ReadAsync(request, cancellationToken);
        if (payload is null)
        {
            return HttpApi.Problem(request, 400, "Invalid request", $"The body must be a gateway event of at most {MaxBodyBytes / 1024} KiB.");
        }

        switch (reader.Read(payload, request.Headers["Stripe-Signature"].ToString()))
        {
            case GatewayEventRead.Refused refused:
                return HttpApi.Problem(request, 401, "Signature refused", refused.Why);
            case GatewayEventRead.Verified { Event: null } ignored:
                return Ok(ignored.EventId, GatewayEventOutcome.NotOurs);
            case GatewayEventRead.Verified verified:
                GatewayEventOutcome outcome;
                try
                {
                    outcome = await handler.HandleAsync(reader.Gateway, verified.Event!, cancellationToken);
                }
                catch (Exception ex) when (ex is GatewayUnavailableException or GatewayConfigurationException)
                {
                    // The change is recorded; what follows it (a chargeback recovery) is done on the next delivery.
                    logger.LogWarning("Gateway event {EventId}: a follow-up could not be done now: {Reason}", verified.EventId, ex.Message);
                    return Later(request, "The event is recorded; a follow-up waits for the gateway. Deliver it again later.");
                }

                return outcome == GatewayEventOutcome.RetryLater
                    ? Later(request, "The run is still recording this charge. Deliver the event again later.")
                    : Ok(verified.EventId, outcome);
            default:
                throw new InvalidOperationException("Unknown read result.");
        }
    }

    private static IResult Ok(string eventId, GatewayEventOutcome outcome) =>
        Results.Json(new GatewayEventResponse(eventId, outcome), ApiJson.Options, statusCode: 200);

    private static IResult Later(HttpRequest request, string detail)
    {
        request.HttpContext.Response.Headers.RetryAfter = "60";
        return HttpApi.Problem(request, 503, "Try again later", detail);
    }

    private static async Task<string?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        var buffer = new byte[MaxBodyBytes + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return total is 0 or > MaxBodyBytes ? null : Encoding.UTF8.GetString(buffer, 0, total);
    }
}

/// <summary>What the delivery of one gateway event did.</summary>
/// <param name="EventId">The gateway's event id.</param>
/// <param name="Outcome">Applied (the run changed), Unchanged (an older or known state), Duplicate (delivered before), or NotOurs (not a charge PayConnect made, or a kind it does not act on).</param>
public sealed record GatewayEventResponse(string EventId, GatewayEventOutcome Outcome) : IExample<GatewayEventResponse>
{
    public static GatewayEventResponse Example => new("evt_1Pq2R3", GatewayEventOutcome.Applied);
}
