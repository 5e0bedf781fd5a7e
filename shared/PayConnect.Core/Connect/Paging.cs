using PayConnect.Storage;

namespace PayConnect.Connect;

/// <summary>Page size and continuation of a listing request.</summary>
public sealed record Paging(int PageSize, string? Continuation)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>The untyped page body of listings not yet converted to <see cref="Api.Page{T}"/>.</summary>
    public static object Body<T>(RecordPage<Stored<T>> page) => new { items = page.Items.Select(i => i.Value).ToList(), continuation = page.Continuation };
}
