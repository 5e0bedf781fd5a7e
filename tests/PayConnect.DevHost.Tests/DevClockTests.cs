using NodaTime;
using PayConnect.DevHost.Development;

namespace PayConnect.DevHost.Tests;

public sealed class DevClockTests
{
    private static readonly Instant Start = Instant.FromUtc(2026, 3, 1, 12, 0);

    [Fact]
    public void AdvanceBy_AndAdvanceTo_MoveNowForwardWhileTheSystemClockRuns()
    {
        var system = new SteppingClock(Start);
        var clock = new DevClock(system);

        clock.AdvanceBy(Duration.FromDays(3));
        system.Now += Duration.FromMinutes(10);
        var afterDays = clock.GetCurrentInstant();
        clock.AdvanceTo(Instant.FromUtc(2026, 3, 10, 15, 0));
        system.Now += Duration.FromMinutes(1);

        Assert.Equal(Instant.FromUtc(2026, 3, 4, 12, 10), afterDays);
        Assert.Equal(Instant.FromUtc(2026, 3, 10, 15, 1), clock.GetCurrentInstant());
        Assert.Equal(Instant.FromUtc(2026, 3, 10, 15, 0) - Instant.FromUtc(2026, 3, 1, 12, 10), clock.Offset);
    }

    [Fact]
    public void Advance_Backwards_IsRefusedAndChangesNothing()
    {
        var clock = new DevClock(new SteppingClock(Start));
        clock.AdvanceBy(Duration.FromDays(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => clock.AdvanceTo(Start));
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.AdvanceBy(Duration.FromSeconds(-1)));
        Assert.Equal(Start + Duration.FromDays(1), clock.GetCurrentInstant());
    }

    private sealed class SteppingClock(Instant now) : IClock
    {
        public Instant Now { get; set; } = now;

        public Instant GetCurrentInstant() => Now;
    }
}
