using System.Text.RegularExpressions;

namespace PayConnect.Infra.Tests;

/// <summary>Finds text that looks like a credential: connection-string keys, Stripe keys, SAS signatures, long base64.</summary>
internal static partial class SecretScanner
{
    private static readonly (string Kind, Regex Pattern)[] Patterns =
    [
        ("storage account key", AccountKey()),
        ("shared access key or ACS access key", AccessKey()),
        ("Application Insights instrumentation key", InstrumentationKey()),
        ("SAS signature", SasSignature()),
        ("Stripe key or webhook secret", StripeKey()),
        ("private key", PrivateKey()),
    ];

    public static IEnumerable<string> Find(string text)
    {
        foreach (var (kind, pattern) in Patterns)
        {
            foreach (Match match in pattern.Matches(text))
            {
                yield return $"{kind}: {Redact(match.Value)}";
            }
        }

        foreach (Match match in Base64Run().Matches(text))
        {
            // Random key material mixes digits and both cases; identifiers and resource paths rarely do.
            var value = match.Value;
            if (value.Any(char.IsDigit) && value.Any(char.IsUpper) && value.Any(char.IsLower))
            {
                yield return $"long base64 string: {Redact(value)}";
            }
        }
    }

    private static string Redact(string value) => value.Length <= 12 ? value : value[..12] + "…";

    [GeneratedRegex(@"AccountKey\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex AccountKey();

    [GeneratedRegex(@"AccessKey\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex AccessKey();

    [GeneratedRegex(@"InstrumentationKey\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InstrumentationKey();

    [GeneratedRegex(@"[?&;]sig=[A-Za-z0-9%+/=]{10,}", RegexOptions.IgnoreCase)]
    private static partial Regex SasSignature();

    [GeneratedRegex(@"\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]{8,}|\bwhsec_[A-Za-z0-9]{8,}")]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----")]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])")]
    private static partial Regex Base64Run();
}
