namespace PayConnect.Connect;

/// <summary>New record ids: time-ordered (so listings come back in creation order) and URL-safe.</summary>
public static class Ids
{
    public static string New(string prefix) => prefix + "_" + Guid.CreateVersion7().ToString("N");

    /// <summary>Ids from clients (route values, enrollment lists) are short and URL-safe.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: > 0 and <= 100 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
