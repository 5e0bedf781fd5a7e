using System.Security.Cryptography;
using System.Text;

namespace PayConnect.Infrastructure.Email;

/// <summary>
/// Transport handles derived from <see cref="Notifications.EmailMessage.MessageId"/>, in one place so every transport
/// recognises a resend of the same notification the same way.
/// </summary>
public static class EmailMessageIds
{
    private const int MaxReadableLength = 120;

    /// <summary>
    /// A file-name- and Message-Id-safe form of the id: the id itself when it is made of letters, digits, '-' and '_';
    /// otherwise the id with every other character replaced by '_' plus a hash suffix, so distinct ids stay distinct
    /// and nothing like "../" can reach a path.
    /// </summary>
    public static string Stem(string messageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        var safe = new string(messageId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        if (safe.Length <= MaxReadableLength && string.Equals(safe, messageId, StringComparison.Ordinal))
        {
            return messageId;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)))[..16];
        return $"{safe[..Math.Min(safe.Length, MaxReadableLength)]}-{hash}";
    }

    /// <summary>The RFC 5322 Message-Id (without angle brackets): <c>{stem}@{sender domain}</c>.</summary>
    public static string MimeMessageId(string messageId, string senderAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(senderAddress);
        var at = senderAddress.LastIndexOf('@');
        var domain = at >= 0 ? senderAddress[(at + 1)..] : string.Empty;
        if (domain.Length == 0 || !domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
        {
            domain = "payconnect.invalid";
        }

        return $"{Stem(messageId)}@{domain}";
    }
}
