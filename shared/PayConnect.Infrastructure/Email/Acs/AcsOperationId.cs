using System.Security.Cryptography;
using System.Text;

namespace PayConnect.Infrastructure.Email.Acs;

/// <summary>
/// The ACS <c>Operation-Id</c> of a notification: a name-based UUID (RFC 9562 version 5) of our MessageId and a resend
/// generation. Generation 0 is the first operation (the same id as before generations existed); a new generation is
/// used only after the previous operation ended <c>Failed</c> or <c>Canceled</c>, because presenting a finished
/// operation's id again only returns that operation.
/// </summary>
public static class AcsOperationId
{
    /// <summary>PayConnect's fixed namespace for email operation ids. Changing it would break duplicate recognition.</summary>
    public static readonly Guid Namespace = new("5b0f4a43-1c55-4e43-9d1a-2f6f0e6c8a71");

    public static Guid For(string messageId) => For(messageId, 0);

    /// <summary>The operation id of resend <paramref name="generation"/> (0 = first send) of a notification.</summary>
    public static Guid For(string messageId, int generation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(generation);
        return NameBasedGuid.V5(Namespace, generation == 0 ? messageId : $"{messageId}#resend-{generation}");
    }
}

/// <summary>RFC 9562 name-based UUIDs.</summary>
public static class NameBasedGuid
{
    /// <summary>Version 5 (SHA-1) UUID of <paramref name="name"/> (UTF-8) in <paramref name="namespaceId"/>.</summary>
    public static Guid V5(Guid namespaceId, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        namespaceId.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);

        // SHA-1 is what version 5 is defined with; it names, it does not protect anything.
#pragma warning disable CA5350
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
