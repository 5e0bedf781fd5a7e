namespace PayConnect.Api;

/// <summary>What makes a type part of the HTTP contract.</summary>
public static class ApiContract
{
    /// <summary>Request and response records implement <see cref="IExample{TSelf}"/>; nothing else goes over the wire typed.</summary>
    public static bool IsContractType(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IExample<>) && i.GetGenericArguments()[0] == type);

    /// <summary>The type's example (<see cref="IExample{TSelf}.Example"/>), or null when it has none.</summary>
    public static object? ExampleOf(Type type) =>
        IsContractType(type)
            ? typeof(ApiContract).GetMethod(nameof(Example), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.MakeGenericMethod(type).Invoke(null, null)
            : null;

    private static T Example<T>()
        where T : IExample<T> => T.Example;
}
