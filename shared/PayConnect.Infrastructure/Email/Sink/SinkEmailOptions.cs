namespace PayConnect.Infrastructure.Email.Sink;

/// <summary>Settings of the local mail sink (<c>Email__SinkDirectory</c>, <c>Email__SenderAddress</c>).</summary>
public sealed class SinkEmailOptions
{
    /// <summary>Folder for the .eml files and index.txt; relative paths resolve against the working directory.</summary>
    public string Directory { get; set; } = string.Empty;

    public string SenderAddress { get; set; } = string.Empty;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Directory))
        {
            problems.Add("Email__SinkDirectory must be set.");
        }

        if (string.IsNullOrWhiteSpace(SenderAddress) || !SenderAddress.Contains('@', StringComparison.Ordinal))
        {
            problems.Add("Email__SenderAddress must be an email address.");
        }

        return problems;
    }
}
