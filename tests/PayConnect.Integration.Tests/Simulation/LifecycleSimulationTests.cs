using PayConnect.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PayConnect.Integration.Tests.Simulation;

/// <summary>
/// Whole schedule lifetimes on the real fan-out → broker → drain on Azurite, checked after every step against a reference
/// model written from SPEC (see <see cref="LifecycleSimulation"/>). CI runs <see cref="SimulationOptions.CiSeeds"/>; a
/// failing seed prints the command that replays it, and <c>PAYCONNECT_SIM_SEEDS=N</c> runs a longer soak.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class LifecycleSimulationTests(Emulators emulators, ITestOutputHelper output)
{
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        foreach (var seed in SimulationOptions.FromEnvironment().Seeds)
        {
            data.Add(seed);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task Seed_RunsEveryOccurrenceOnce_NeverPaysAnInvoiceTwice_AndNotifiesOncePerFailedRun(int seed) =>
        new LifecycleSimulation(emulators, SimulationOptions.FromEnvironment(), seed, output).RunAsync();
}
