using Azure.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace PayConnect.ServiceBusBroker.Tests;

public sealed class ConnectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StartAsync_WithPortZero_ListensOnAFreePortNamedInTheConnectionString()
    {
        await using var harness = await BrokerHarness.StartAsync(output);

        Assert.NotEqual(0, harness.Broker.Port);
        Assert.Contains($"Endpoint=sb://localhost:{harness.Broker.Port};", harness.Broker.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("UseDevelopmentEmulator=true", harness.Broker.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WithAnySharedAccessKey_IsAuthorizedThroughCbsPutToken()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        var connectionString = $"Endpoint=sb://localhost:{harness.Broker.Port};SharedAccessKeyName=someone;SharedAccessKey=not-a-real-key;UseDevelopmentEmulator=true";
        await using var client = new ServiceBusClient(connectionString);
        await using var sender = client.CreateSender(BrokerHarness.QueueName);

        await sender.SendMessageAsync(new ServiceBusMessage("authorized"));

        Assert.Equal(1, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task Send_ToUndeclaredQueue_FailsWithMessagingEntityNotFound()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.Client.CreateSender("no-such-queue");

        var error = await Assert.ThrowsAsync<ServiceBusException>(() => sender.SendMessageAsync(new ServiceBusMessage("lost")));

        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, error.Reason);
    }

    [Fact]
    public async Task Receive_FromUndeclaredQueue_FailsWithMessagingEntityNotFound()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var receiver = harness.Client.CreateReceiver("no-such-queue");

        var error = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1)));

        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, error.Reason);
    }

    [Fact]
    public async Task QueueNames_AreMatchedCaseInsensitively()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        await using var sender = harness.Client.CreateSender(BrokerHarness.QueueName.ToUpperInvariant());

        await sender.SendMessageAsync(new ServiceBusMessage("shouted"));

        Assert.Equal(1, harness.Counts.ActiveMessageCount);
    }

    [Fact]
    public async Task AddQueue_WhileRunning_IsServed()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        harness.Broker.AddQueue(new QueueOptions { Name = "added-later" });
        await using var sender = harness.Client.CreateSender("added-later");
        await using var receiver = harness.Client.CreateReceiver("added-later");

        await sender.SendMessageAsync(new ServiceBusMessage("late"));
        var message = await receiver.ReceiveOneAsync();

        Assert.Equal("late", message.Body.ToString());
        Assert.Throws<InvalidOperationException>(() => harness.Broker.AddQueue(new QueueOptions { Name = "ADDED-LATER" }));
    }

    [Fact]
    public async Task QueueNameWithSlashes_IsServed()
    {
        await using var harness = await BrokerHarness.StartAsync(output);
        harness.Broker.AddQueue(new QueueOptions { Name = "firms/autopay" });
        await using var sender = harness.Client.CreateSender("firms/autopay");
        await using var receiver = harness.Client.CreateReceiver("firms/autopay");

        await sender.SendMessageAsync(new ServiceBusMessage("nested"));

        Assert.Equal("nested", (await receiver.ReceiveOneAsync()).Body.ToString());
    }

    [Fact]
    public async Task DisposeAsync_WithClientsStillConnected_Completes()
    {
        var harness = await BrokerHarness.StartAsync(output);
        var sender = harness.CreateSender();
        var receiver = harness.CreateReceiver();
        await sender.SendMessageAsync(new ServiceBusMessage("in flight"));
        await receiver.ReceiveOneAsync();

        // The broker goes first while the client still holds open links and a locked message.
        await harness.Broker.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        await harness.Client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
