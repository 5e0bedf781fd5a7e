using PayConnect.Connect;
using PayConnect.Scheduling;
using PayConnect.Storage;

namespace PayConnect.Payers;

/// <summary>
/// Keeps each schedule's <see cref="PayerCopy"/> equal to its payer, so a run needs no payer read (docs/decisions/0043).
/// Called after every write to a payer (details, contacts, a payer's unsubscribe link); each schedule is written through
/// the due index, ETag-checked and read again on a conflict. A request that fails part way is answered with an error and
/// its retry finishes the copies; a schedule saved before copies existed keeps none and its runs read the payer.
/// </summary>
public sealed class PayerCopies(IRecordStore store, DueIndex dueIndex, FirmSettingsCache firms)
{
    private const int Attempts = 8;

    /// <summary>Brings every schedule of <paramref name="payer"/> to its current copy; returns how many were written.</summary>
    public async Task<int> RefreshAsync(string firmId, Payer payer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var copy = PayerCopy.Of(payer);
        var ids = new List<string>();
        string? continuation = null;
        do
        {
            // A staff action, not the run path: the payer's schedules are found by a filter over the firm's schedules.
            var page = await store.ListAsync<Schedule>(firmId, string.Empty, 1000, continuation, s => s.PayerId == payer.Id && !copy.SameAs(s.PayerCopy), cancellationToken).ConfigureAwait(false);
            ids.AddRange(page.Items.Select(i => i.Value.Id));
            continuation = page.Continuation;
        }
        while (continuation is not null);

        if (ids.Count == 0)
        {
            return 0;
        }

        var zone = (await firms.GetAsync(firmId, cancellationToken).ConfigureAwait(false))?.TimeZone ?? "UTC";
        var written = 0;
        foreach (var id in ids)
        {
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                var stored = await store.GetAsync<Schedule>(firmId, id, cancellationToken).ConfigureAwait(false);
                if (stored is null || copy.SameAs(stored.Value.PayerCopy))
                {
                    break;
                }

                try
                {
                    await dueIndex.SaveAsync(firmId, stored, stored.Value with { PayerCopy = copy }, stored.ETag, zone, cancellationToken).ConfigureAwait(false);
                    written++;
                    break;
                }
                catch (ConcurrencyException) when (attempt < Attempts - 1)
                {
                    // The fan-out or staff changed it meanwhile: copy onto the new version.
                }
            }
        }

        return written;
    }
}
