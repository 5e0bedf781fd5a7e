using PayConnect.Storage;

namespace PayConnect.Api;

/// <summary>
/// One page of a listing. <paramref name="Continuation"/> is null on the last page; otherwise pass it back as the
/// <c>continuation</c> query parameter for the next page.
/// </summary>
/// <param name="Items">The records of this page, in key order.</param>
/// <param name="Continuation">Opaque token for the next page; null on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Continuation) : IExample<Page<T>>
    where T : IExample<T>
{
    public static Page<T> Example => new([T.Example], null);

    public static Page<T> From<TRecord>(RecordPage<Stored<TRecord>> page, Func<TRecord, T> view) =>
        new(page.Items.Select(i => view(i.Value)).ToList(), page.Continuation);
}
