using PayConnect.ServiceBusBroker;

namespace PayConnect.Integration.Tests.Infrastructure;

/// <summary>The real emulators, started once for the whole test run and shared by every test class.</summary>
public sealed class Emulators : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;

    public LocalServiceBusBroker Broker { get; private set; } = null!;

    public string ServiceBusConnectionString => Broker.ConnectionString;

    public async Task InitializeAsync()
    {
        Azurite = await Azurite.StartAsync();
        Broker = await LocalServiceBusBroker.StartAsync(new BrokerOptions { Port = 0 });
    }

    /// <summary>A runs queue of its own for one test host, declared like infra/ declares the real one.</summary>
    public string AddRunsQueue(string name, TimeSpan? lockDuration = null, int maxDeliveryCount = 10)
    {
        Broker.AddQueue(new QueueOptions
        {
            Name = name,
            LockDuration = lockDuration ?? TimeSpan.FromSeconds(30),
            MaxDeliveryCount = maxDeliveryCount,
            RequiresDuplicateDetection = true,
            DuplicateDetectionHistoryTimeWindow = TimeSpan.FromMinutes(10),
        });
        return name;
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<Emulators>
{
    public const string Name = "emulators";
}
