using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;

namespace PayConnect.ServiceBusBroker;

/// <summary>Settings for <see cref="LocalServiceBusBroker"/>; also the shape of <c>broker.json</c>.</summary>
public sealed class BrokerOptions
{
    /// <summary>Default AMQP port the standalone broker listens on.</summary>
    public const int DefaultPort = 5672;

    /// <summary>TCP port on the loopback interface; 0 picks a free one (read it back from <see cref="LocalServiceBusBroker.Port"/>).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The queues the broker serves; any other entity name is answered with "not found".</summary>
    public IList<QueueOptions> Queues { get; set; } = new List<QueueOptions>();

    /// <summary>Largest message (or batch) a sender may send, in bytes; 256 KiB like the Standard tier.</summary>
    public long MaxMessageSizeBytes { get; set; } = 256 * 1024;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new DurationConverter() },
    };

    /// <summary>Reads options from a JSON document shaped like <c>broker.json</c>.</summary>
    public static BrokerOptions Parse(string json)
    {
        var options = JsonSerializer.Deserialize<BrokerOptions>(json, JsonOptions)
            ?? throw new ArgumentException("The broker configuration is empty.", nameof(json));
        options.Validate();
        return options;
    }

    /// <summary>Reads options from a JSON file shaped like <c>broker.json</c>.</summary>
    public static BrokerOptions Load(string path) => Parse(File.ReadAllText(path));

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port {Port} is out of range.");
        }

        if (MaxMessageSizeBytes <= 0)
        {
            throw new ArgumentException("MaxMessageSizeBytes must be positive.");
        }

        if (Queues is null)
        {
            throw new ArgumentException("Queues must be a list (it may be empty).");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var queue in Queues)
        {
            queue.Validate();
            if (!seen.Add(queue.Name))
            {
                throw new ArgumentException($"Queue '{queue.Name}' is declared twice.");
            }
        }
    }

    /// <summary>Accepts ISO 8601 durations ("PT1M", as the official emulator's config uses) and "hh:mm:ss".</summary>
    private sealed class DurationConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString() ?? throw new JsonException("A duration must be a string.");
            if (text.StartsWith('P') || text.StartsWith("-P", StringComparison.Ordinal))
            {
                try
                {
                    return XmlConvert.ToTimeSpan(text);
                }
                catch (FormatException ex)
                {
                    throw new JsonException($"'{text}' is not an ISO 8601 duration.", ex);
                }
            }

            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new JsonException($"'{text}' is neither an ISO 8601 duration nor hh:mm:ss.");
        }

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteStringValue(XmlConvert.ToString(value));
    }
}
