using NodaTime;
using PayConnect.Connect;
using PayConnect.Payments;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Tests.Runs;

/// <summary>The run aggregate guards its own moves: what each state allows, and what it carries along.</summary>
public class RunRecordTests
{
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 2, 15, 0);
    private static readonly RunKey Key = new("firm-1", "as_1", new LocalDate(2026, 3, 2));
    private static readonly RunSnapshot Snapshot = new("py_1", "pm_1", "pm_sandbox_approve", PaymentMethodKind.Card, "ba_1", "A/R", "USD");
    private static readonly RunLine[] Lines = [new("INV-1", "C-1", "M-1", 700, 1000, "PC-1"), new("INV-2", "C-1", "M-1", 50, 50, "PC-2")];

    [Fact]
    public void Allocated_StoresTheLinesTotalAndTheAttemptsIdempotencyKey()
    {
        var run = RunRecord.Begin(Key, null, Now).Allocated(Snapshot, Lines, new LocalDate(2026, 3, 2), paysOff: false, Now);

        Assert.Equal(RunState.Allocated, run.State);
        Assert.Equal(750, run.AmountMinor);
        Assert.Equal(ChargeIdempotencyKey.For(Key.Format(), 1), run.IdempotencyKey);
        Assert.Equal(Now, run.AllocatedAt);
        Assert.True(run.BlocksLaterRuns);
    }

    [Fact]
    public void ChargedThenPosted_IsFinal_AndCanNeitherBeSkippedNorFailed()
    {
        var posted = Allocated().Charged("ch_1", settlementPending: false, Now).Posted(Now);

        Assert.Equal(RunState.Posted, posted.State);
        Assert.True(posted.IsFinal);
        Assert.Throws<InvalidRunTransitionException>(() => posted.Skipped("paused", "Paused.", "staff", Now));
        Assert.Throws<InvalidRunTransitionException>(() => posted.Failed("x", "x", Now));
        Assert.Throws<InvalidRunTransitionException>(() => posted.Charged("ch_2", false, Now));
    }

    [Fact]
    public void Posted_RequiresACharge()
    {
        Assert.Throws<InvalidRunTransitionException>(() => Allocated().Posted(Now));
    }

    [Fact]
    public void SoftDecline_WaitsForItsRetry_AndTheRetryIsANewAttemptWithItsOwnKeyAndTheHistoryKept()
    {
        var declined = Allocated().Declined("insufficient_funds", "Insufficient funds.", new LocalDate(2026, 3, 4), "Declined.", Now);

        var retry = RunRecord.Begin(Key, declined, Now + Duration.FromDays(2));

        Assert.Equal(RunState.AwaitingRetry, declined.State);
        Assert.False(declined.BlocksLaterRuns);
        Assert.Equal(2, retry.Attempt);
        Assert.Null(retry.IdempotencyKey);
        Assert.Empty(retry.Lines);
        Assert.Single(retry.Events, e => e.What == "Declined");
        Assert.Equal(declined.FirstAttemptOn, retry.FirstAttemptOn);
        Assert.Equal(ChargeIdempotencyKey.For(Key.Format(), 2), retry.Allocated(Snapshot, Lines, new LocalDate(2026, 3, 4), false, Now).IdempotencyKey);
    }

    [Fact]
    public void HardDecline_FailsForGood()
    {
        var failed = Allocated().Declined("stolen_card", "Declined.", null, "Hard decline.", Now);

        Assert.Equal(RunState.Failed, failed.State);
        Assert.True(failed.IsFinal);
        Assert.Throws<InvalidRunTransitionException>(() => RunRecord.Begin(Key, failed, Now));
    }

    [Fact]
    public void ParkedRun_DoesNotHoldUpLaterRuns_ButStillCharges()
    {
        var parked = Allocated().Parked(Now + Duration.FromHours(1), "gateway_unavailable", "Gateway down.", Now);

        Assert.False(parked.BlocksLaterRuns);
        Assert.Equal(RunState.Posted, parked.Charged("ch_1", false, Now).Posted(Now).State);
    }

    [Fact]
    public void Approval_ChargesTheRecheckedLines_OrNothingWhenNothingIsLeft()
    {
        var waiting = Allocated().AwaitingApproval(new RunApproval("Above the threshold.", 500), Now);

        var approved = waiting.Approve("boss", [Lines[0] with { AmountMinor = 400 }], Now);
        var empty = waiting.Approve("boss", [], Now);

        Assert.False(waiting.BlocksLaterRuns);
        Assert.Equal((RunState.Allocated, 400L, "boss"), (approved.State, approved.AmountMinor!.Value, approved.Approval!.DecidedBy!));
        Assert.Equal(RunState.NothingDue, empty.State);
        Assert.Throws<InvalidRunTransitionException>(() => Allocated().Approve("boss", Lines, Now));
    }

    [Fact]
    public void DeclinedApproval_IsSkippedWithWhoAndWhy()
    {
        var declined = Allocated().AwaitingApproval(new RunApproval("Above.", 500), Now).DeclineApproval("boss", "Client pays by cheque", Now);

        Assert.Equal(RunState.Skipped, declined.State);
        Assert.Equal("boss", declined.SkippedBy);
        Assert.Contains("Client pays by cheque", declined.FailureReason, StringComparison.Ordinal);
        Assert.False(declined.Approval!.Approved);
    }

    [Fact]
    public void MarkNotified_RemembersEachTypeOnce()
    {
        var run = Allocated().Failed("x", "Failed.", Now);

        var once = run.MarkNotified(NotificationTypes.ErrorFailedAutoPay, Now);

        Assert.Same(once, once.MarkNotified(NotificationTypes.ErrorFailedAutoPay, Now));
        Assert.Equal([NotificationTypes.ErrorFailedAutoPay], once.Notified);
    }

    private static RunRecord Allocated() => RunRecord.Begin(Key, null, Now).Allocated(Snapshot, Lines, new LocalDate(2026, 3, 2), false, Now);
}
