using System.Diagnostics;
using PayConnect.DevHost.Tests.Fixtures;

namespace PayConnect.DevHost.Tests;

public sealed class TimerHostingTests
{
    [Fact]
    public async Task Timers_FireOnTheirSchedule_OneAtATimeAndPastFailures()
    {
        var options = new DevHostOptions { Port = 0, StartEmulators = false, MetadataPath = TestFiles.Fixture("timers.functions.metadata") };
        var output = new StringWriter();
        await using var app = await DevHostApp.BuildAsync(options, output);
        await app.StartAsync();
        try
        {
            var waited = Stopwatch.StartNew();
            while ((Volatile.Read(ref TimerFixtureFunctions.SlowInvocations) < 2 || Volatile.Read(ref TimerFixtureFunctions.FailingInvocations) < 2)
                && waited.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100);
            }
        }
        finally
        {
            await app.StopAsync();
        }

        Assert.Contains("TIMER SlowTick [* * * * * *] next ", output.ToString(), StringComparison.Ordinal);
        Assert.True(TimerFixtureFunctions.SlowInvocations >= 2, $"SlowTick ran {TimerFixtureFunctions.SlowInvocations} times");
        Assert.True(TimerFixtureFunctions.FailingInvocations >= 2, $"FailingTick ran {TimerFixtureFunctions.FailingInvocations} times");
        Assert.Equal(1, TimerFixtureFunctions.MostAtOnce);
        var status = TimerFixtureFunctions.LastTimerInfo?.ScheduleStatus;
        Assert.NotNull(status);
        Assert.True(status.Next > status.Last, $"Next {status.Next:O} is not after Last {status.Last:O}");
    }
}
