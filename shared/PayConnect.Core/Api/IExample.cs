namespace PayConnect.Api;

/// <summary>
/// A request or response record with a realistic instance: the OpenAPI document shows it as the operation's
/// example, and the contract tests send (requests) or compare against (responses) it, so it stays valid.
/// </summary>
public interface IExample<TSelf>
    where TSelf : IExample<TSelf>
{
    static abstract TSelf Example { get; }
}
