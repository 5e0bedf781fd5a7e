using PayConnect.Connect;
using PayConnect.Infrastructure.Payments.Sandbox;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Notifications;
using PayConnect.Postings;
using PayConnect.Runs;
using PayConnect.Scheduling;

namespace PayConnect.Integration.Tests.Runs;

[Collection(EmulatorCollection.Name)]
public sealed class RunProcessorTests(Emulators emulators) : RunTestBase(emulators)
{
    private static readonly string AcmeClient = AssociationOf(AssociationLevel.Client, "C-100");
    private static readonly string AcmeMatter = AssociationOf(AssociationLevel.Matter, "M-100-1");
    private static readonly string BirchClient = AssociationOf(AssociationLevel.Client, "C-200");
    private static readonly string CedarClient = AssociationOf(AssociationLevel.Client, "C-300");

    [Fact]
    public async Task PayAll_OverOverlappingScopes_ChargesEveryBalanceOnceAndPostsOnePendingPostingPerInvoice()
    {
        var schedule = await ScheduleAsync(null, AcmeClient, AcmeMatter, BirchClient);
        var key = KeyOf(schedule);

        var outcome = await Processor().HandleAsync(Message(key), default);

        Assert.IsType<MessageOutcome.Complete>(outcome);
        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(120000 + 30025 + 45000, Assert.Single(Sandbox.Charges).Amount.Minor);
        var postings = (await PostingsAsync(p => p.RunKey == key)).OrderBy(p => p.InvoiceNumber).ToList();
        Assert.Equal(["INV-1001:120000", "INV-1002:30025", "INV-2001:45000"], postings.Select(p => $"{p.InvoiceNumber}:{p.AmountMinor}"));
        Assert.All(postings, p =>
        {
            Assert.Equal(PostingState.Pending, p.State);
            Assert.Equal("Acme Auto-Pay", p.ArMessage);
            Assert.Equal(BankAccountId, p.BankAccountId);
            Assert.Equal(PayerId, p.PayerId);
        });
        Assert.Equal(BankAccountId, Sandbox.Charges[0].DestinationBankAccountId);
        await AssertInvariantsAsync(key, null);
    }

    [Fact]
    public async Task UpTo_PaysOldestFirstSplitsTheBoundaryInvoiceAndNeverExceedsTheCap()
    {
        var schedule = await ScheduleAsync(130000, AcmeClient, BirchClient);
        var key = KeyOf(schedule);

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key), default));

        Assert.Equal(130000, Assert.Single(Sandbox.Charges).Amount.Minor);
        var postings = (await PostingsAsync(p => p.RunKey == key)).OrderBy(p => p.InvoiceNumber).ToList();
        Assert.Equal(["INV-1001:120000", "INV-2001:10000"], postings.Select(p => $"{p.InvoiceNumber}:{p.AmountMinor}"));
        await AssertInvariantsAsync(key, 130000);
    }

    [Fact]
    public async Task NothingOutstanding_RecordsNothingDueWithoutCharging()
    {
        var schedule = await ScheduleAsync(null, CedarClient);
        var key = KeyOf(schedule);

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key), default));

        Assert.Equal(RunState.NothingDue, (await RunAsync(schedule)).State);
        Assert.Equal(0, Sandbox.CallCount);
        Assert.Empty(await PostingsAsync());
        await AssertInvariantsAsync(key, null);
    }

    [Fact]
    public async Task CrashAfterTheChargeBeforeItIsRecorded_RedeliveryFinishesTheRunWithTheSameSingleCharge()
    {
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => Processor(gateway: new CrashAfterChargeGateway(Sandbox)).HandleAsync(Message(key), default));
        Assert.Equal(RunState.Allocated, (await RunAsync(schedule)).State);
        Assert.Single(Sandbox.Charges);
        Assert.Empty(await PostingsAsync());

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key, 2), default));

        Assert.Equal(RunState.Posted, (await RunAsync(schedule)).State);
        Assert.Single(Sandbox.Charges);
        await AssertInvariantsAsync(key, null);
    }

    [Fact]
    public async Task SameMessageHandledConcurrently_ChargesOnceAndEveryCopyEndsWithTheRunPosted()
    {
        var schedule = await ScheduleAsync(100000, AcmeClient, BirchClient);
        var key = KeyOf(schedule);

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 6).Select(i => Task.Run(() => Processor().HandleAsync(Message(key, 1), default))));

        Assert.All(outcomes, o => Assert.IsNotType<MessageOutcome.DeadLetter>(o));
        await DeliverUntilCompleteAsync(Processor(), key, firstDelivery: 2);
        Assert.Equal(RunState.Posted, (await RunAsync(schedule)).State);
        Assert.Equal(100000, Assert.Single(Sandbox.Charges).Amount.Minor);
        await AssertInvariantsAsync(key, 100000);
    }

    [Fact]
    public async Task GatewayTimesOutAfterCharging_RunIsRetriedWithTheSameKeyAndChargedOnce()
    {
        await SetTokenAsync(SandboxPaymentGateway.TimeoutAfterCharge);
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);

        var first = await Processor().HandleAsync(Message(key), default);

        Assert.IsType<MessageOutcome.Reschedule>(first);
        var allocated = await RunAsync(schedule);
        Assert.Equal(RunState.Allocated, allocated.State);
        Assert.Single(Sandbox.Charges);

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key, 2), default));

        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        var charge = Assert.Single(Sandbox.Charges);
        Assert.Equal(allocated.IdempotencyKey, charge.IdempotencyKey);
        Assert.Equal(2, Sandbox.CallCount);
        await AssertInvariantsAsync(key, null);
    }

    [Fact]
    public async Task GatewayDownForLong_IsAskedAgainLaterThenParked_AndTheRecheckChargesOnceWithTheSameKey()
    {
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);
        var processor = Processor(gateway: new UnreachableGateway(Sandbox, failures: 4));

        var outcomes = await FollowAsync(processor, Message(key));

        var retries = new RunRetries(Store);
        var delays = Host.Get<RunEngineOptions>().GatewayRetryDelays;
        Assert.Equal(delays.Count + 1, outcomes.Count);
        Assert.Equal(delays.Select(d => d.ToTimeSpan()), outcomes.Take(delays.Count).Select(o => Assert.IsType<MessageOutcome.Reschedule>(o).Delay));
        Assert.IsType<MessageOutcome.Complete>(outcomes[^1]);
        var parked = await RunAsync(schedule);
        Assert.Equal(RunState.Allocated, parked.State);
        Assert.NotNull(parked.ParkedUntil);
        Assert.Empty(await retries.DueAsync(Host.Clock.GetCurrentInstant(), 10, default));

        Host.Clock.AdvanceMinutes(61);
        var recheck = Assert.Single(await retries.DueAsync(Host.Clock.GetCurrentInstant(), 10, default));
        Assert.IsType<MessageOutcome.Complete>(await processor.HandleAsync(new QueuedMessage(recheck.MessageId, recheck.MessageBody(), 1, DateTimeOffset.UtcNow), default));

        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(1, recheck.Attempt);
        Assert.Equal(run.IdempotencyKey, Assert.Single(Sandbox.Charges).IdempotencyKey);
        await AssertInvariantsAsync(key, null);
    }

    [Fact]
    public async Task PaymentMethodUpdatedWhileTheChargeIsUnconfirmed_TheRetrySendsTheSameRequestAndChargesOnce()
    {
        await SetTokenAsync(SandboxPaymentGateway.TimeoutAfterCharge);
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);
        Assert.IsType<MessageOutcome.Reschedule>(await Processor().HandleAsync(Message(key), default));

        await SetTokenAsync(SandboxPaymentGateway.Approve + ".new-card");
        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key, 2), default));

        Assert.Equal(RunState.Posted, (await RunAsync(schedule)).State);
        Assert.Equal(SandboxPaymentGateway.TimeoutAfterCharge, Assert.Single(Sandbox.Charges).PaymentMethodToken);
        await AssertInvariantsAsync(key, null);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task TableStorageFailsOnTheNthWrite_RedeliveriesRecoverWithOneChargeAndConsistentPostings(int failOnWrite)
    {
        var schedule = await ScheduleAsync(140000, AcmeClient, BirchClient);
        var key = KeyOf(schedule);
        var flaky = new FlakyStore(Store, failOnWrite);

        var deliveries = await DeliverUntilCompleteAsync(Processor(store: flaky), key);

        Assert.True(flaky.Writes >= failOnWrite, "The fault was never injected.");
        Assert.True(deliveries >= 2, "The injected failure should have cost a delivery.");
        Assert.Equal(RunState.Posted, (await RunAsync(schedule)).State);
        Assert.Equal(140000, Assert.Single(Sandbox.Charges).Amount.Minor);
        Assert.Equal(2, (await PostingsAsync(p => p.RunKey == key)).Count);
        await AssertInvariantsAsync(key, 140000);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task TableStorageFailsOnTheNthWriteOfADeclinedRun_RedeliveriesRecordItFailedWithOneEmailPerSubscriber(int failOnWrite)
    {
        await SetTokenAsync(SandboxPaymentGateway.StolenCard);
        await SubscribeAsync("oncall@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        await SubscribeAsync("billing@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);
        var flaky = new FlakyStore(Store, failOnWrite);

        var deliveries = await DeliverUntilCompleteAsync(Processor(store: flaky), key);

        Assert.True(flaky.Writes >= failOnWrite, "The fault was never injected.");
        Assert.True(deliveries >= 2, "The injected failure should have cost a delivery.");
        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal([NotificationSubscription.ErrorFailedAutoPay], run.Notified);
        Assert.Empty(Sandbox.Charges);
        Assert.Equal(["billing@smithjones.test", "oncall@smithjones.test"], (await OutboxAsync()).Select(e => e.ToAddress).Order());
        var ledger = await Store.GetAsync<ClientLedger>(Firm, ClientLedger.KeyOf("C-100"), default);
        Assert.Empty(ledger!.Value.Invoices);
    }

    [Fact]
    public async Task HardDecline_FailsTheRunAndEnqueuesOneEmailPerSubscriberEvenWhenRedelivered()
    {
        await SetTokenAsync(SandboxPaymentGateway.StolenCard);
        await SubscribeAsync("oncall@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        await SubscribeAsync("Billing@SmithJones.test", NotificationSubscription.ErrorFailedAutoPay, "Other");
        await SubscribeAsync("weekly@smithjones.test", "WeeklyDigest");
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key), default));
        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(key, 2), default));

        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal("stolen_card", run.FailureCode);
        Assert.Null(run.RetryOn);
        Assert.Empty(Sandbox.Charges);
        Assert.Empty(await PostingsAsync());
        var emails = await OutboxAsync();
        Assert.Equal(["billing@smithjones.test", "oncall@smithjones.test"], emails.Select(e => e.ToAddress.ToLowerInvariant()).Order());
        Assert.All(emails, e =>
        {
            Assert.Equal(OutboxState.Pending, e.State);
            Assert.Contains("1500.25 USD", e.PlainText, StringComparison.Ordinal);
            Assert.Contains("stolen_card", e.PlainText, StringComparison.Ordinal);
        });
        await AssertInvariantsAsync(key, null);
    }

    [Fact]
    public async Task EmailServiceAnswers500ThenRecovers_EachSubscriberGetsExactlyOneEmailAndNoneIsLost()
    {
        await SetTokenAsync(SandboxPaymentGateway.StolenCard);
        await SubscribeAsync("oncall@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        await SubscribeAsync("billing@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        var schedule = await ScheduleAsync(null, AcmeClient);
        await Processor().HandleAsync(Message(KeyOf(schedule)), default);
        var email = new FlakyEmailSender(failures: 3);
        var sender = new OutboxSender(Store, email, Host.Clock, new OutboxOptions());

        var down = await sender.SendPendingAsync(default);
        var tooSoon = await sender.SendPendingAsync(default);
        Host.Clock.AdvanceMinutes(2);
        var partly = await sender.SendPendingAsync(default);
        Host.Clock.AdvanceMinutes(10);
        var recovered = await sender.SendPendingAsync(default);
        Host.Clock.AdvanceMinutes(120);
        var nothingLeft = await sender.SendPendingAsync(default);

        Assert.Equal(new OutboxSendReport(0, 2, 0, 0), down);
        Assert.Equal(new OutboxSendReport(0, 0, 0, 2), tooSoon);
        Assert.Equal(1, partly.Deferred + recovered.Deferred);
        Assert.Equal(2, partly.Sent + recovered.Sent);
        Assert.Equal(new OutboxSendReport(0, 0, 0, 0), nothingLeft);
        var sent = email.Accepted.ToList();
        Assert.Equal(["billing@smithjones.test", "oncall@smithjones.test"], sent.Select(m => m.To.Single().Address).Order());
        Assert.Equal(2, sent.Select(m => m.MessageId).Distinct().Count());
        Assert.All(sent, m => Assert.StartsWith("Error-Failed AutoPay: Acme monthly for Acme Holdings AP", m.Subject, StringComparison.Ordinal));
        Assert.All(await OutboxAsync(), e => Assert.Equal(OutboxState.Sent, e.State));
        Assert.Empty((await Store.ListAsync<OutboxPendingEntry>(OutboxPendingEntry.Partition, string.Empty, 10, null, e => e.FirmId == Firm, default)).Items);
    }

    [Fact]
    public async Task TwoOutboxSendersAtOnce_SendEachEmailOnce()
    {
        await SetTokenAsync(SandboxPaymentGateway.LostCard);
        foreach (var address in new[] { "a@smithjones.test", "b@smithjones.test", "c@smithjones.test" })
        {
            await SubscribeAsync(address, NotificationSubscription.ErrorFailedAutoPay);
        }

        var schedule = await ScheduleAsync(null, AcmeClient);
        await Processor().HandleAsync(Message(KeyOf(schedule)), default);
        var email = new FlakyEmailSender(failures: 0);

        var reports = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new OutboxSender(Store, email, Host.Clock, new OutboxOptions()).SendPendingAsync(default))));

        Assert.Equal(3, reports.Sum(r => r.Sent));
        Assert.Equal(["a@smithjones.test", "b@smithjones.test", "c@smithjones.test"], email.Accepted.Select(m => m.To.Single().Address).Order());
    }

    [Fact]
    public async Task HoldsOfAnEarlierRun_ReduceWhatTheNextRunPays_WhileTheMmsDoesNotShowThem()
    {
        var schedule = await ScheduleAsync(130000, AcmeClient);
        var firstKey = KeyOf(schedule);
        await Processor().HandleAsync(Message(firstKey), default);
        var later = RunDate.PlusMonths(1);
        Host.Clock.AdvanceDays(31);
        var secondSchedule = await ScheduleAsync(null, AcmeClient);
        var secondKey = KeyOf(secondSchedule, later);

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(secondKey), default));

        // The MMS still says 1200.00 + 300.25 is owed; 1200.00 + 100.00 of it is held by the first run.
        var second = await PostingsAsync(p => p.RunKey == secondKey);
        Assert.Equal("INV-1002:20025", Assert.Single(second).InvoiceNumber + ":" + second[0].AmountMinor);
        Assert.Equal(20025, Sandbox.Charges.Single(c => c.RunKey == secondKey).Amount.Minor);
        await AssertInvariantsAsync(firstKey, 130000);
        await AssertInvariantsAsync(secondKey, null);
    }

    [Fact]
    public async Task SchedulesSharingAnInvoiceRunAtOnce_NeverPayItBeyondItsBalance()
    {
        var schedules = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            schedules.Add(await ScheduleAsync(null, i % 2 == 0 ? AcmeClient : AcmeMatter));
        }

        await Task.WhenAll(schedules.Select(s => Task.Run(() => DeliverUntilCompleteAsync(Processor(), KeyOf(s)))));

        var paid = (await PostingsAsync()).GroupBy(p => p.InvoiceNumber).ToDictionary(g => g.Key, g => g.Sum(p => p.AmountMinor));
        Assert.Equal(Outstanding["INV-1001"], paid["INV-1001"]);
        Assert.Equal(Outstanding["INV-1002"], paid["INV-1002"]);
        foreach (var schedule in schedules)
        {
            await AssertInvariantsAsync(KeyOf(schedule), null);
        }
    }

    [Fact]
    public async Task MmsUnreachable_IsAskedAgainAfterEachConfiguredWait_ThenFailsTheRunAndNotifiesOnce()
    {
        await SubscribeAsync("oncall@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        var schedule = await ScheduleAsync(null, AcmeClient);
        var key = KeyOf(schedule);
        var processor = Processor(mms: new UnreachableMms(Host.Get<PayConnect.Mms.IMmsConnector>()));

        var outcomes = await FollowAsync(processor, Message(key));

        var delays = Host.Get<RunEngineOptions>().MmsRetryDelays;
        Assert.Equal(delays.Select(d => d.ToTimeSpan()), outcomes.Take(delays.Count).Select(o => Assert.IsType<MessageOutcome.Reschedule>(o).Delay));
        Assert.IsType<MessageOutcome.Complete>(outcomes[^1]);
        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal("mms_unavailable", run.FailureCode);
        Assert.Equal(delays.Count + 1, run.Events.Count(e => e.What == "MmsUnavailable"));
        var email = Assert.Single(await OutboxAsync());
        Assert.Equal(delays.Count + 1, email.PlainText.Split('\n').Count(l => l.StartsWith("Attempt ", StringComparison.Ordinal)));
        Assert.Empty(Sandbox.Charges);
    }

    [Fact]
    public async Task SoftDecline_SchedulesARetryThatTheFanOutCanFind_AndTheRetryIsANewAttemptWithItsOwnKey()
    {
        await SetTokenAsync(SandboxPaymentGateway.InsufficientFunds);
        await SubscribeAsync("oncall@smithjones.test", NotificationSubscription.ErrorFailedAutoPay);
        var schedule = await ScheduleAsync(null, BirchClient);
        var key = KeyOf(schedule);
        await Processor().HandleAsync(Message(key), default);
        var declined = await RunAsync(schedule);

        await Processor().HandleAsync(Message(key, 2), default);
        Assert.Equal(1, (await RunAsync(schedule)).Attempt);
        var retries = new RunRetries(Store);
        Assert.Empty(await retries.DueAsync(Host.Clock.GetCurrentInstant(), 10, default));
        Host.Clock.AdvanceDays(2);
        var due = Assert.Single(await retries.DueAsync(Host.Clock.GetCurrentInstant(), 10, default));
        await SetTokenAsync(SandboxPaymentGateway.Approve);
        var retryMessage = new QueuedMessage(due.MessageId, due.MessageBody(), 1, DateTimeOffset.UtcNow);
        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(retryMessage, default));
        await retries.RemoveAsync(due, default);

        Assert.Equal((key, 2), (due.RunKey, due.Attempt));
        Assert.StartsWith(key + "#attempt-2@", due.MessageId, StringComparison.Ordinal);
        Assert.Empty(await retries.DueAsync(Host.Clock.GetCurrentInstant(), 10, default));

        Assert.Equal(RunState.AwaitingRetry, declined.State);
        Assert.Equal(RunDate.PlusDays(2), declined.RetryOn);
        var run = await RunAsync(schedule);
        Assert.Equal(RunState.Posted, run.State);
        Assert.Equal(2, run.Attempt);
        Assert.Equal(ChargeIdempotencyKeyOf(key, 2), Assert.Single(Sandbox.Charges).IdempotencyKey);

        // Not failed for good: no Error-Failed AutoPay email for a decline that was retried and then paid (only the payer's receipt).
        Assert.DoesNotContain(await OutboxAsync(), e => e.Type != PayConnect.Connect.NotificationTypes.PaymentReceipt);
        await AssertInvariantsAsync(key, null);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"runKey\":\"firm-runs/sched-only\"}")]
    [InlineData("{\"other\":1}")]
    public async Task MalformedMessage_IsDeadLettered(string body)
    {
        var message = new QueuedMessage("m-1", System.Text.Encoding.UTF8.GetBytes(body), 1, DateTimeOffset.UtcNow);

        Assert.IsType<MessageOutcome.DeadLetter>(await Processor().HandleAsync(message, default));
    }

    [Fact]
    public async Task PausedSchedule_IsSkippedWithoutCharging()
    {
        var schedule = await ScheduleAsync(null, AcmeClient);
        var stored = await Store.GetAsync<Schedule>(Firm, schedule, default);
        await Store.ReplaceAsync(Firm, stored!.Value with { State = ScheduleState.Paused }, stored.ETag, default);

        Assert.IsType<MessageOutcome.Complete>(await Processor().HandleAsync(Message(KeyOf(schedule)), default));

        Assert.Equal(RunState.Skipped, (await RunAsync(schedule)).State);
        Assert.Equal(0, Sandbox.CallCount);
    }

    private static string ChargeIdempotencyKeyOf(string runKey, int attempt) => PayConnect.Payments.ChargeIdempotencyKey.For(runKey, attempt);
}
