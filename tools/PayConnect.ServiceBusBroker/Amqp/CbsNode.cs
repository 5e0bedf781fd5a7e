using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Extensions.Logging;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// Claims-based security: the client puts a token before every link. A local broker trusts any token
/// (the connection string key is a placeholder), so every put-token is accepted.
/// </summary>
internal sealed class CbsNode(ILogger logger)
{
    private const string PutTokenOperation = "put-token";

    public AmqpMessage Handle(AmqpMessage request)
    {
        var properties = request.ApplicationProperties?.Map;
        var operation = properties?["operation"] as string;
        var (status, description) = operation == PutTokenOperation ? (202, "Accepted") : (400, "Unsupported operation.");
        if (status == 202)
        {
            BrokerLog.TokenAccepted(logger, properties?["name"] as string);
        }

        var response = AmqpMessage.Create();
        response.ApplicationProperties = new ApplicationProperties();
        response.ApplicationProperties.Map["status-code"] = status;
        response.ApplicationProperties.Map["status-description"] = description;
        return response;
    }
}
