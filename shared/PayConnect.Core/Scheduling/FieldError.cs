namespace PayConnect.Scheduling;

/// <summary>A validation problem with one input field, reported to callers instead of an exception.</summary>
/// <param name="Field">Dotted, camel-case path of the offending field, e.g. <c>frequency.day2</c>.</param>
/// <param name="Message">Human-readable reason.</param>
public sealed record FieldError(string Field, string Message);
