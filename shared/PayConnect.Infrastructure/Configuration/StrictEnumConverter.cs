using System.ComponentModel;
using System.Globalization;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>
/// Reads a setting into <typeparamref name="T"/> by member name only (any case). The default enum converter also
/// takes numbers, so <c>Gateway__Kind=1</c> would quietly mean Stripe and <c>7</c> a value with no name.
/// </summary>
public sealed class StrictEnumConverter<T>() : EnumConverter(typeof(T))
    where T : struct, Enum
{
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        if (value is not string text)
        {
            return base.ConvertFrom(context, culture, value);
        }

        text = text.Trim();
        return text.Length > 0 && text.All(char.IsAsciiLetter) && Enum.TryParse<T>(text, ignoreCase: true, out var parsed)
            ? parsed
            : throw new FormatException($"'{text}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
    }
}
