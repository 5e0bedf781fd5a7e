using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Extensions.Logging;
using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>A client's send link: every transfer (a message or a batch of them) is stored, then accepted.</summary>
internal static class ProducerLink
{
    public static void Start(ReceivingAmqpLink link, QueueEntity queue, ILogger logger)
    {
        link.RegisterMessageListener(message =>
        {
            try
            {
                queue.Enqueue(MessageCodec.ReadTransfer(message));
                link.AcceptMessage(message, false);
            }
            catch (Exception ex) when (ex is AmqpException or InvalidCastException or ArgumentException or InvalidOperationException or ObjectDisposedException)
            {
                BrokerLog.MessageRejected(logger, queue.Name, ex);
                var error = new Error { Condition = AmqpErrorCode.InternalError, Description = ex.Message };
                link.DisposeMessage(message, new Rejected { Error = error }, true, false);
            }
            finally
            {
                message.Dispose();
            }
        });
    }
}
