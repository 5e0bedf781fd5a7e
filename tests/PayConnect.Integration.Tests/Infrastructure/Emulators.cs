namespace PayConnect.Integration.Tests.Infrastructure;

/// <summary>The real emulators, started once for the whole test run and shared by every test class.</summary>
public sealed class Emulators : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;

    public string ServiceBusConnectionString { get; private set; } = "";

    public string RunsQueue { get; } = "autopay-runs";

    public async Task InitializeAsync()
    {
        Azurite = await Azurite.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<Emulators>
{
    public const string Name = "emulators";
}
