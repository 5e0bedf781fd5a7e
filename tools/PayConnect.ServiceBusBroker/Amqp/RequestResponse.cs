using System.Collections.Concurrent;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// The request/response pattern behind $cbs and $management: the client attaches a sending link to the node
/// and a receiving link from it whose target is a private reply-to address; each request names that address
/// in ReplyTo and is answered with CorrelationId = the request's MessageId on the matching link.
/// </summary>
internal sealed class RequestResponse
{
    private readonly ConcurrentDictionary<string, SendingAmqpLink> _replyLinks = new(StringComparer.Ordinal);

    /// <summary>Registers the link responses to its target address travel on.</summary>
    public void AddReplyLink(SendingAmqpLink link)
    {
        var address = (link.Settings.Target as Target)?.Address?.ToString();
        if (string.IsNullOrEmpty(address))
        {
            throw new AmqpException(AmqpErrorCode.InvalidField, "A reply link needs a target address.");
        }

        _replyLinks[address] = link;
        link.Closed += (_, _) => _replyLinks.TryRemove(KeyValuePair.Create(address, link));
    }

    /// <summary>Answers every request arriving on <paramref name="link"/> with <paramref name="handle"/>.</summary>
    public void Serve(ReceivingAmqpLink link, Func<AmqpMessage, AmqpMessage> handle)
    {
        link.RegisterMessageListener(request =>
        {
            try
            {
                var messageId = request.Properties?.MessageId;
                var replyTo = request.Properties?.ReplyTo?.ToString();
                var response = handle(request);
                response.Properties.CorrelationId = messageId;
                Reply(link, replyTo, response);
            }
            finally
            {
                // Settling returns the credit the request used; requests arrive pre-settled.
                link.AcceptMessage(request, false);
                request.Dispose();
            }
        });
    }

    private void Reply(ReceivingAmqpLink requestLink, string? replyTo, AmqpMessage response)
    {
        if (replyTo is null
            || !_replyLinks.TryGetValue(replyTo, out var replyLink)
            || !ReferenceEquals(replyLink.Session.Connection, requestLink.Session.Connection)
            || replyLink.IsClosing())
        {
            // Nobody to answer: the client gave no reply address or already went away.
            response.Dispose();
            return;
        }

        replyLink.SendMessageNoWait(response, new ArraySegment<byte>(Guid.NewGuid().ToByteArray()), AmqpConstants.NullBinary);
    }
}
