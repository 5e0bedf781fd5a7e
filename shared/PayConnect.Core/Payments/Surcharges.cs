using System.Text.RegularExpressions;
using PayConnect.Connect;

namespace PayConnect.Payments;

/// <summary>A card's funding type, as the gateway reports it for the saved payment method (Stripe <c>card.funding</c>).</summary>
public enum CardFunding
{
    /// <summary>The gateway could not tell: treated as not credit.</summary>
    Unknown,

    Credit,

    Debit,

    Prepaid,
}

/// <summary>A firm's card surcharge: a rate and the payer jurisdictions where it is never charged.</summary>
/// <param name="BasisPoints">The rate in basis points (1–300: at most 3 %).</param>
/// <param name="ExcludedJurisdictions">ISO 3166-2 subdivision codes (US-CT, US-MA, ...) where surcharging is not allowed.</param>
public sealed record SurchargeSettings(int BasisPoints, IReadOnlyList<string> ExcludedJurisdictions);

/// <summary>Whether a run's charge carries a surcharge, and if not, why.</summary>
public sealed record SurchargeDecision(int BasisPoints, string? WhyNot)
{
    public bool Applies => BasisPoints > 0;
}

/// <summary>
/// Card surcharges that never touch trust money (FACTS.md; docs/decisions/0037-trust-safe-surcharges.md): at most 3 %,
/// on credit cards only (never debit, prepaid or ACH), never on a schedule depositing into a Trust account, never for a
/// payer in a jurisdiction the firm lists, nor for a payer whose jurisdiction is unknown while the firm lists any. The
/// surcharge is its own line and posting, deposited to operating, and never counts toward an invoice's balance.
/// </summary>
public static class Surcharges
{
    /// <summary>3 %: card network rules and most state laws cap a surcharge there.</summary>
    public const int MaxBasisPoints = 300;

    private static readonly Regex Jurisdiction = new("^[A-Z]{2}-[A-Z0-9]{1,3}$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    /// <summary>The surcharge on <paramref name="amountMinor"/> at <paramref name="basisPoints"/>, rounded down (never more than the rate).</summary>
    public static long On(long amountMinor, int basisPoints) =>
        basisPoints <= 0 || amountMinor <= 0 ? 0 : checked(amountMinor * Math.Min(basisPoints, MaxBasisPoints)) / 10_000;

    /// <summary>True for an ISO 3166-2 subdivision code in upper case (US-CT).</summary>
    public static bool IsJurisdiction(string? value) => value is not null && Jurisdiction.IsMatch(value);

    public static SurchargeDecision Decide(SurchargeSettings? settings, PaymentMethodKind method, CardFunding? funding, BankAccountKind deposit, string? payerJurisdiction)
    {
        if (settings is null || settings.BasisPoints <= 0)
        {
            return new(0, "The firm charges no card surcharge.");
        }

        if (deposit == BankAccountKind.Trust)
        {
            return new(0, "Never on a schedule depositing into a Trust account.");
        }

        if (method != PaymentMethodKind.Card)
        {
            return new(0, "Never on a bank (ACH) debit.");
        }

        if (funding != CardFunding.Credit)
        {
            return new(0, $"Credit cards only; this card is {(funding ?? CardFunding.Unknown).ToString().ToLowerInvariant()}.");
        }

        if (settings.ExcludedJurisdictions.Count > 0 && payerJurisdiction is null)
        {
            return new(0, "The payer's jurisdiction is unknown and the firm excludes some.");
        }

        if (payerJurisdiction is not null && settings.ExcludedJurisdictions.Contains(payerJurisdiction, StringComparer.OrdinalIgnoreCase))
        {
            return new(0, $"Not charged to payers in {payerJurisdiction}.");
        }

        return new(Math.Min(settings.BasisPoints, MaxBasisPoints), null);
    }
}
