using PayConnect.ServiceBusBroker.Store;

namespace PayConnect.ServiceBusBroker.Amqp;

/// <summary>
/// What a link address names. The client uses "/queue" (path of the entity URI) for send and receive links,
/// "/queue/$DeadLetterQueue" for the dead-letter sub-queue, "queue[/$DeadLetterQueue]/$management" for
/// management links, and "$cbs" for claims-based security.
/// </summary>
internal readonly record struct EntityAddress(string QueueName, SubQueueKind SubQueue, bool IsManagement, bool IsCbs)
{
    private const string CbsNode = "$cbs";
    private const string ManagementSegment = "$management";
    private const string DeadLetterSegment = "$deadletterqueue";

    public static bool TryParse(string? address, out EntityAddress entity)
    {
        entity = default;
        if (string.IsNullOrWhiteSpace(address))
        {
            return false;
        }

        var path = address;
        if (path.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(path, UriKind.Absolute, out var uri))
        {
            path = uri.AbsolutePath;
        }

        var segments = Uri.UnescapeDataString(path).Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (segments is [var only] && only.Equals(CbsNode, StringComparison.OrdinalIgnoreCase))
        {
            entity = new EntityAddress(CbsNode, SubQueueKind.Active, IsManagement: false, IsCbs: true);
            return true;
        }

        var isManagement = TakeLast(segments, ManagementSegment);
        var subQueue = TakeLast(segments, DeadLetterSegment) ? SubQueueKind.DeadLetter : SubQueueKind.Active;
        // Entity names may contain '/'; a remaining '$' segment is a node we do not serve (such as $Transfer).
        if (segments.Count == 0 || segments.Any(s => s.StartsWith('$')))
        {
            return false;
        }

        entity = new EntityAddress(string.Join('/', segments), subQueue, isManagement, IsCbs: false);
        return true;
    }

    public override string ToString() => IsCbs
        ? CbsNode
        : QueueName + (SubQueue == SubQueueKind.DeadLetter ? "/$DeadLetterQueue" : "") + (IsManagement ? "/$management" : "");

    private static bool TakeLast(List<string> segments, string segment)
    {
        if (segments.Count > 1 && segments[^1].Equals(segment, StringComparison.OrdinalIgnoreCase))
        {
            segments.RemoveAt(segments.Count - 1);
            return true;
        }

        return false;
    }
}
