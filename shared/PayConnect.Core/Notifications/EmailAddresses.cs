using MimeKit;

namespace PayConnect.Notifications;

/// <summary>
/// The one rule for the email addresses we store and send to: a plain address, <c>name@example.com</c>.
/// </summary>
/// <remarks>
/// Plain means: MimeKit parses the text as exactly one mailbox, with no display name, no angle brackets, no
/// comment or route, and the parsed address is the text itself; the local part is not a quoted string and the
/// domain is a host name with a dot (not an IP literal). So <c>&lt;ops@firm.test&gt;</c>, <c>"x,y"@firm.test</c>,
/// <c>Ops &lt;ops@firm.test&gt;</c> and lists are refused: each is something a transport may read differently.
/// </remarks>
public static class EmailAddresses
{
    public const int MaxLength = 254;

    private static readonly ParserOptions Strict = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
    };

    public static bool IsPlain(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return false;
        }

        if (!InternetAddressList.TryParse(Strict, text, out var list) || list.Count != 1 || list[0] is not MailboxAddress mailbox)
        {
            return false;
        }

        return string.IsNullOrEmpty(mailbox.Name)
            && mailbox.Route.Count == 0
            && string.Equals(mailbox.Address, text, StringComparison.Ordinal)
            && !mailbox.LocalPart.StartsWith('"')
            && mailbox.Domain.Contains('.', StringComparison.Ordinal)
            && !mailbox.Domain.StartsWith('[')
            && !mailbox.Domain.StartsWith('.')
            && !mailbox.Domain.EndsWith('.');
    }
}
