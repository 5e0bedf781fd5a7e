namespace PayConnect.ServiceBusBroker.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void ShippedBrokerJson_DeclaresTheAutopayRunsQueue()
    {
        var options = BrokerOptions.Load(Path.Combine(AppContext.BaseDirectory, "broker.json"));

        var queue = Assert.Single(options.Queues);
        Assert.Equal("autopay-runs", queue.Name);
        Assert.Equal(TimeSpan.FromSeconds(60), queue.LockDuration);
        Assert.Equal(10, queue.MaxDeliveryCount);
        Assert.True(queue.RequiresDuplicateDetection);
        Assert.Equal(TimeSpan.FromMinutes(10), queue.DuplicateDetectionHistoryTimeWindow);
        Assert.Null(queue.DefaultMessageTimeToLive);
    }

    [Fact]
    public void Parse_AcceptsIsoAndClockDurationsAndDefaultsTheRest()
    {
        var options = BrokerOptions.Parse("""
            {
              "port": 5999,
              "queues": [
                { "name": "a", "lockDuration": "PT30S", "defaultMessageTimeToLive": "P1D" },
                { "Name": "b", "LockDuration": "00:00:05", "MaxDeliveryCount": 3 }
              ]
            }
            """);

        Assert.Equal(5999, options.Port);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Queues[0].LockDuration);
        Assert.Equal(TimeSpan.FromDays(1), options.Queues[0].DefaultMessageTimeToLive);
        Assert.Equal(10, options.Queues[0].MaxDeliveryCount);
        Assert.False(options.Queues[0].RequiresDuplicateDetection);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Queues[1].LockDuration);
        Assert.Equal(3, options.Queues[1].MaxDeliveryCount);
    }

    [Theory]
    [InlineData("""{ "queues": [ { "name": "a" }, { "name": "A" } ] }""")]
    [InlineData("""{ "queues": [ { "name": "" } ] }""")]
    [InlineData("""{ "queues": [ { "name": "a", "maxDeliveryCount": 0 } ] }""")]
    [InlineData("""{ "queues": [ { "name": "a", "lockDuration": "PT0S" } ] }""")]
    public void Parse_InvalidQueues_AreRejected(string json)
    {
        Assert.Throws<ArgumentException>(() => BrokerOptions.Parse(json));
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsBeforeListening()
    {
        var options = new BrokerOptions { Port = 0, Queues = { new QueueOptions { Name = "x", MaxDeliveryCount = 0 } } };

        await Assert.ThrowsAsync<ArgumentException>(() => LocalServiceBusBroker.StartAsync(options));
    }
}
