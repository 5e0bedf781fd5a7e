namespace PayConnect.Payments;

/// <summary>
/// NACHA return reason codes of ACH debits. Only R01 (insufficient funds) and R09 (uncollected funds) may be
/// re-presented (at most twice within 180 days, FACTS.md), so they are soft; every other return means the account
/// or the authorization is gone and is hard.
/// </summary>
public static class AchReturnCodes
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["R01"] = "Insufficient funds",
        ["R02"] = "Account closed",
        ["R03"] = "No account / unable to locate account",
        ["R04"] = "Invalid account number",
        ["R05"] = "Unauthorized debit to consumer account",
        ["R07"] = "Authorization revoked by customer",
        ["R08"] = "Payment stopped",
        ["R09"] = "Uncollected funds",
        ["R10"] = "Customer advises not authorized",
        ["R16"] = "Account frozen",
        ["R20"] = "Non-transaction account",
        ["R29"] = "Corporate customer advises not authorized",
    };

    /// <summary>True for R01–R85 (upper case, two digits).</summary>
    public static bool IsReturnCode(string? code) =>
        code is { Length: 3 } && code[0] == 'R' && char.IsAsciiDigit(code[1]) && char.IsAsciiDigit(code[2])
        && int.Parse(code.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) is >= 1 and <= 85;

    /// <summary>What the return code means, for staff.</summary>
    public static string Describe(string returnCode) =>
        Descriptions.TryGetValue(returnCode.Trim(), out var d) ? d : "ACH return";

    /// <summary>Soft for R01 and R09, hard for every other (or unknown) code.</summary>
    public static DeclineKind Classify(string returnCode) =>
        returnCode.Trim().ToUpperInvariant() is "R01" or "R09" ? DeclineKind.Soft : DeclineKind.Hard;

    /// <summary>A decline for an ACH return, with a readable message.</summary>
    public static ChargeDeclined ToDecline(string returnCode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(returnCode);
        var code = returnCode.Trim().ToUpperInvariant();
        var text = Descriptions.TryGetValue(code, out var d) ? d : "ACH return";
        return new ChargeDeclined(code, $"{text} ({code}).", Classify(code));
    }
}
