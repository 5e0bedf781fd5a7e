using NodaTime;
using PayConnect.Connect;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Scheduling;

namespace PayConnect.Integration.Tests.Runs;

/// <summary>Invoice-level enrollments only: the schedule ends as soon as every enrolled invoice is paid off.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class PaymentPlanTests(Emulators emulators) : RunTestBase(emulators)
{
    [Fact]
    public async Task PaymentPlan_EndsOnceTheEnrolledInvoiceIsPaidOff_AndLeavesTheDueIndex()
    {
        var invoice = new Association(Association.IdOf(AssociationLevel.Invoice, "INV-2001"), PayerId, AssociationLevel.Invoice, "C-200", "M-200-1", "INV-2001", "Invoice INV-2001", Host.Clock.GetCurrentInstant());
        await Store.UpsertAsync(Firm, invoice, default);
        var id = await PlanAsync(capMinor: 25000, invoice.Id);

        // 450.00 outstanding, 250.00 a run: the first run leaves 200.00, the next (a month later) pays it off.
        await Processor().HandleAsync(Message(new RunKey(Firm, id, RunDate).Format(), 1), default);
        var afterFirst = (await Store.GetAsync<Schedule>(Firm, id, default))!.Value;
        await Processor().HandleAsync(Message(new RunKey(Firm, id, RunDate.PlusMonths(1)).Format(), 1), default);
        var afterSecond = (await Store.GetAsync<Schedule>(Firm, id, default))!.Value;

        Assert.Equal(ScheduleState.Active, afterFirst.State);
        Assert.Equal(ScheduleState.Ended, afterSecond.State);
        Assert.Null(afterSecond.NextRunDate);
        Assert.Equal([25000L, 20000L], Sandbox.Charges.Select(c => c.Amount.Minor));
        var indexed = await Host.Get<DueIndex>().EntryAsync(Firm, id, afterFirst.NextRunDate!.Value, default);
        Assert.Null(indexed);
    }

    [Fact]
    public async Task ClientLevelSchedule_PaidOff_KeepsRunningForNewInvoices()
    {
        var id = await ScheduleAsync(null, AssociationOf(AssociationLevel.Client, "C-200"));

        await Processor().HandleAsync(Message(new RunKey(Firm, id, RunDate).Format(), 1), default);

        Assert.Equal(ScheduleState.Active, (await Store.GetAsync<Schedule>(Firm, id, default))!.Value.State);
    }

    private async Task<string> PlanAsync(long capMinor, string associationId)
    {
        var id = "plan_" + Guid.NewGuid().ToString("N")[..10];
        var now = Host.Clock.GetCurrentInstant();
        var schedule = new Schedule(id, PayerId, MethodId, "Plan", BankAccountId, null, "Monthly", RunDate, AmountRuleKind.UpTo, capMinor, "USD",
            ScheduleState.Active, [associationId], now, now, LastScheduledRunDate: RunDate.PlusMonths(1), Lifetime: ScheduleLifetime.PaymentPlan).WithNextRun();
        var stored = await Store.InsertAsync(Firm, schedule, default);
        Assert.NotNull(await Host.Get<DueIndex>().IndexAsync(Firm, stored, "America/Chicago", default));
        return id;
    }
}
