using NodaTime;
using PayConnect.Connect;
using PayConnect.Mms;
using PayConnect.Postings;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Runs;

/// <summary>
/// A schedule with only Invoice-level enrollments is a payment plan: it ends as soon as every enrolled invoice is
/// paid off, counting this system's payments the MMS does not reflect yet (SPEC §1 Lifetime).
/// </summary>
public sealed class PaymentPlanCompletion(IRecordStore store, IMmsConnector mms, DueIndex index, IClock clock)
{
    /// <summary>Ends the schedule when nothing is left to pay; true when it did. Safe to call again.</summary>
    public async Task<bool> EndIfPaidOffAsync(string firmId, string scheduleId, CancellationToken ct)
    {
        var schedule = await store.GetAsync<Schedule>(firmId, scheduleId, ct).ConfigureAwait(false);
        if (schedule is null || schedule.Value.Lifetime != ScheduleLifetime.PaymentPlan || schedule.Value.State == ScheduleState.Ended)
        {
            return false;
        }

        var scopes = new List<MmsScope>();
        foreach (var id in schedule.Value.EnrolledAssociationIds)
        {
            var association = await store.GetAsync<Association>(firmId, Association.KeyOf(schedule.Value.PayerId, id), ct).ConfigureAwait(false);
            if (association is not null)
            {
                scopes.Add(new MmsScope(association.Value.Level, association.Value.ScopeNumber));
            }
        }

        IReadOnlyList<MmsInvoice> invoices;
        try
        {
            invoices = await mms.OutstandingInvoicesAsync(firmId, scopes, ct).ConfigureAwait(false);
        }
        catch (MmsUnavailableException)
        {
            // Unknown now; the next run finds out (and pays or ends).
            return false;
        }

        foreach (var invoice in invoices)
        {
            var pending = 0L;
            string? continuation = null;
            do
            {
                var page = await store.ListAsync<Posting>(firmId, Posting.InvoicePrefix(invoice.Number), 200, continuation,
                    p => p.State == PostingState.Pending, ct).ConfigureAwait(false);
                pending += page.Items.Sum(p => p.Value.AmountMinor);
                continuation = page.Continuation;
            }
            while (continuation is not null);

            if (invoice.OutstandingMinor - pending > 0)
            {
                return false;
            }
        }

        try
        {
            var ended = schedule.Value with { State = ScheduleState.Ended, NextRunDate = null, UpdatedAt = clock.GetCurrentInstant() };
            await store.ReplaceAsync(firmId, ended, schedule.ETag, ct).ConfigureAwait(false);
            await index.MoveAsync(firmId, scheduleId, schedule.Value.NextRunDate, null, ct).ConfigureAwait(false);
            return true;
        }
        catch (ConcurrencyException)
        {
            // Changed meanwhile (fan-out advanced it, staff edited it): the next run decides again.
            return false;
        }
    }
}
