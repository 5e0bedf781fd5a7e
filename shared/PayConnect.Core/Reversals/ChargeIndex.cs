using NodaTime;
using PayConnect.Storage;

namespace PayConnect.Reversals;

/// <summary>
/// Which run a gateway charge belongs to, for the charges made while every charge was indexed: one entry per charge under
/// one fixed pseudo-firm (<see cref="Partition"/>). Runs no longer write it: a charge carries its run key at the gateway
/// (<see cref="Payments.IPaymentGateway.RunKeyOfChargeAsync"/>, docs/decisions/0043); the entries written before are
/// still read first, so their events keep finding their runs.
/// </summary>
public sealed record ChargeIndexEntry(string ChargeId, string FirmId, string ScheduleId, LocalDate RunDate, Instant CreatedAt) : IFirmRecord
{
    /// <summary>The pseudo firm id the index lives under; '~' cannot occur in a real firm id.</summary>
    public const string Partition = "~charges";

    public static string Table => "ChargeIndex";

    public string Key => ChargeId;
}

/// <summary>The charge index in front of the store (read only: see <see cref="ChargeIndexEntry"/>).</summary>
public sealed class ChargeIndex(IRecordStore store)
{
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
