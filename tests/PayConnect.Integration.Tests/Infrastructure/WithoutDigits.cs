namespace PayConnect.Integration.Tests.Infrastructure;

public static class TestText
{
    /// <summary>
    /// An id spelled with letters for its digits, for tests that put an id into a name or a token: a random id can hold a run
    /// of 13–19 digits that passes Luhn, which the API rightly refuses as a card number.
    /// </summary>
    public static string WithoutDigits(string id) => new(id.Select(c => char.IsAsciiDigit(c) ? (char)('g' + (c - '0')) : c).ToArray());
}
