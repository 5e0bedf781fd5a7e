using System.Collections.Concurrent;
using PayConnect.Connect;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Payments;
using PayConnect.Runs;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>
/// What the engine does with the gateway's harder answers: a failure it will keep replaying for the same key, a
/// misconfiguration no retry can fix, and a lookup that finds the payer charged twice.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class GatewayOutcomeTests(Emulators emulators) : RunTestBase(emulators)
{
    private static readonly string Client100 = AssociationOf(AssociationLevel.Client, "C-100");

    [Fact]
    public async Task ReplayedFailure_WithNothingCharged_ContinuesUnderANewKey_AndChargesOnce()
    {
        var gateway = new ScriptedGateway(Sandbox) { ReplayFailureFirst = true };
        var schedule = await ScheduleAsync(null, Client100);

        var outcomes = await FollowAsync(Processor(gateway: gateway), Message(KeyOf(schedule)));

        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        var charge = Assert.Single(Sandbox.Charges);
        Assert.Equal(ChargeIdempotencyKey.For(KeyOf(schedule), 1, 1), charge.IdempotencyKey);
        Assert.Equal(charge.IdempotencyKey, run.IdempotencyKey);
        Assert.Single(run.Events, e => e.What == "Rekeyed");
        Assert.IsType<MessageOutcome.Reschedule>(outcomes[0]);
        await AssertInvariantsAsync(KeyOf(schedule), null);
    }

    [Fact]
    public async Task ReplayedFailure_AfterTheChargeWasMade_IsFoundByTheLookup_NotChargedAgain()
    {
        var gateway = new ScriptedGateway(Sandbox) { ChargeThenReplayFailure = true };
        var schedule = await ScheduleAsync(null, Client100);

        await FollowAsync(Processor(gateway: gateway), Message(KeyOf(schedule)));

        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(Assert.Single(Sandbox.Charges).ChargeId, run.ChargeId);
        Assert.DoesNotContain(run.Events, e => e.What == "Rekeyed");
        await AssertInvariantsAsync(KeyOf(schedule), null);
    }

    [Fact]
    public async Task MisconfiguredGateway_ParksTheRunLoudly_ChargesNothing_AndDoesNotFailIt()
    {
        var gateway = new ScriptedGateway(Sandbox) { Misconfigured = true };
        var schedule = await ScheduleAsync(null, Client100);

        var outcomes = await FollowAsync(Processor(gateway: gateway), Message(KeyOf(schedule)));

        var run = await RunAsync(schedule);
        Assert.IsType<MessageOutcome.Complete>(Assert.Single(outcomes));
        Assert.Equal(RunState.Allocated, run.State);
        Assert.NotNull(run.ParkedUntil);
        Assert.Contains(run.Events, e => e.Code == "gateway_misconfigured");
        Assert.Empty(Sandbox.Charges);
        Assert.Empty(await OutboxAsync());
    }

    [Fact]
    public async Task LookupFindingTheSameKeyChargedTwice_KeepsTheFirstAsTheRunsCharge_AndRecordsTheDuplicatesToRefund()
    {
        var gateway = new ScriptedGateway(Sandbox) { ChargeThenReplayFailure = true, DuplicateOnLookup = "ch_duplicate_1" };
        var schedule = await ScheduleAsync(null, Client100);

        await FollowAsync(Processor(gateway: gateway), Message(KeyOf(schedule)));

        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(Sandbox.Charges.Single().ChargeId, run.ChargeId);
        var noted = Assert.Single(run.Events, e => e.What == "DuplicateCharge");
        Assert.Contains("ch_duplicate_1", noted.Message, StringComparison.Ordinal);
        Assert.Equal(run.AmountMinor, (await PostingsAsync(p => p.RunKey == run.RunKey)).Sum(p => p.AmountMinor));
    }

    /// <summary>A gateway whose answers follow a script, around the sandbox (which keeps the real charges).</summary>
    private sealed class ScriptedGateway(IPaymentGateway inner) : IPaymentGateway
    {
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

        /// <summary>The first call under a key fails with "a retry would only replay this", charging nothing.</summary>
        public bool ReplayFailureFirst { get; init; }

        /// <summary>Every call under the first key charges, then fails with "a retry would only replay this".</summary>
        public bool ChargeThenReplayFailure { get; init; }

        public bool Misconfigured { get; init; }

        /// <summary>A second charge the lookup reports under the same key.</summary>
        public string? DuplicateOnLookup { get; init; }

        public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken)
        {
            if (Misconfigured)
            {
                throw new GatewayConfigurationException("401 Unauthorized: invalid API key (injected).");
            }

            var call = _calls.AddOrUpdate(request.IdempotencyKey, 1, (_, n) => n + 1);
            if (ReplayFailureFirst && !request.IdempotencyKey.Contains("/rekey-", StringComparison.Ordinal))
            {
                throw new GatewayUnavailableException("500 saved for this key (injected).") { LookUpBeforeRetry = true };
            }

            if (ChargeThenReplayFailure && !request.IdempotencyKey.Contains("/rekey-", StringComparison.Ordinal))
            {
                await inner.ChargeAsync(request, cancellationToken);
                throw new GatewayUnavailableException($"500 saved for this key, call {call} (injected).") { LookUpBeforeRetry = true };
            }

            return await inner.ChargeAsync(request, cancellationToken);
        }

        public async Task<ChargeApproved?> FindChargeAsync(ChargeLookup lookup, CancellationToken cancellationToken)
        {
            var found = await inner.FindChargeAsync(lookup, cancellationToken);
            if (found is not null && DuplicateOnLookup is { } duplicate)
            {
                throw new DuplicateChargeException("Two charges carry the key (injected).", found, [duplicate]);
            }

            return found;
        }

        public Task<string?> RunKeyOfChargeAsync(string chargeId, CancellationToken cancellationToken) => inner.RunKeyOfChargeAsync(chargeId, cancellationToken);

        public Task<RefundResult> RefundAsync(RefundRequest request, CancellationToken cancellationToken) => inner.RefundAsync(request, cancellationToken);

        public Task<ChargebackRecoveryResult> RecoverChargebackAsync(ChargebackRecovery request, CancellationToken cancellationToken) => inner.RecoverChargebackAsync(request, cancellationToken);
    }
}
