using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Reversals;

/// <summary>
/// Which run a gateway charge belongs to: gateway events name the charge only (Stripe: the PaymentIntent), and the
/// event endpoint has no firm in its path. One entry per charge under one fixed pseudo-firm (<see cref="Partition"/>),
/// written before the run records its charge, so every charged run can be found.
/// </summary>
public sealed record ChargeIndexEntry(string ChargeId, string FirmId, string ScheduleId, LocalDate RunDate, Instant CreatedAt) : IFirmRecord
{
    /// <summary>The pseudo firm id the index lives under; '~' cannot occur in a real firm id.</summary>
    public const string Partition = "~charges";

    public static string Table => "ChargeIndex";

    public string Key => ChargeId;
}

/// <summary>The charge index in front of the store.</summary>
public sealed class ChargeIndex(IRecordStore store)
{
    /// <summary>Records the charge's run (idempotent: the same charge always names the same run).</summary>
    public Task RecordAsync(ChargeIndexEntry entry, CancellationToken cancellationToken) =>
        store.UpsertAsync(ChargeIndexEntry.Partition, entry, cancellationToken);

    /// <summary>The run of the charge, or null when PayConnect did not make it.</summary>
    public async Task<ChargeIndexEntry?> FindAsync(string chargeId, CancellationToken cancellationToken) =>
        chargeId.Length is > 0 and <= 255 && chargeId.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? (await store.GetAsync<ChargeIndexEntry>(ChargeIndexEntry.Partition, chargeId, cancellationToken).ConfigureAwait(false))?.Value
            : null;
}

/// <summary>
/// A gateway event that changed (or was judged by) one run: kept in the firm's ledger partition and inserted in the same
/// commit as the change, so a second delivery of the event fails its insert and changes nothing.
/// </summary>
public sealed record GatewayEventReceipt(string Gateway, string EventId, string RunKey, string Type, string Outcome, Instant ReceivedAt) : IFirmRecord
{
    public const string KeyPrefix = "E~";

    public static string Table => Runs.LedgerTable.Name;

    public string Key => KeyOf(Gateway, EventId);

    public static string KeyOf(string gateway, string eventId) => KeyPrefix + gateway + "~" + eventId;
}
