using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Fluid;
using NodaTime;
using NodaTime.Text;

namespace PayConnect.Notifications;

/// <summary>
/// Renders notification emails from Liquid templates kept as files (<c>Notifications/Templates/*.liquid</c>, embedded in
/// the assembly): per email <c>{name}.subject.liquid</c>, <c>{name}.txt.liquid</c> and <c>{name}.html.liquid</c>, the HTML
/// wrapped in <c>layout.html.liquid</c>. The model is plain dictionaries and lists of already formatted text (amounts in
/// the firm's currency, dates in its zone), so templates hold wording only. Values are HTML-encoded in the HTML part and
/// written as they are in the others. Pure: the same model gives the same email.
/// </summary>
public static class EmailTemplates
{
    private const string ResourcePrefix = "PayConnect.Templates.";
    private static readonly FluidParser Parser = new();
    private static readonly ConcurrentDictionary<string, IFluidTemplate> Parsed = new(StringComparer.Ordinal);
    private static readonly TemplateOptions Options = new() { CultureInfo = CultureInfo.InvariantCulture };
    private static readonly LocalDatePattern IsoDate = LocalDatePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd");
    private static readonly LocalDatePattern LongDate = LocalDatePattern.CreateWithInvariantCulture("dddd, MMMM d, uuuu");

    /// <summary>The rendered parts of one email.</summary>
    public sealed record Rendered(string Subject, string PlainText, string Html);

    /// <summary>Renders the email <paramref name="name"/> (e.g. <c>payment-receipt</c>) with <paramref name="model"/>.</summary>
    /// <exception cref="InvalidOperationException">A template is missing or does not parse (a build defect, caught by the template tests).</exception>
    public static Rendered Render(string name, IReadOnlyDictionary<string, object?> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var subject = EmailLayout.OneLine(RenderOne(name + ".subject", model));
        var text = RenderOne(name + ".txt", model);
        var encoded = HtmlEncoded(model);
        var body = RenderOne(name + ".html", encoded);
        var layout = new Dictionary<string, object?>(encoded, StringComparer.Ordinal) { ["subject"] = WebUtility.HtmlEncode(subject) };
        var html = RenderOne("layout.html", layout).Replace("<!--body-->", body, StringComparison.Ordinal);
        return new Rendered(subject, Normalize(text), Normalize(html));
    }

    /// <summary>Renders one template as plain text (the authorization text).</summary>
    public static string RenderText(string name, IReadOnlyDictionary<string, object?> model) =>
        Normalize(RenderOne(name, model)).Trim() + "\n";

    /// <summary>The names of every template file in the assembly.</summary>
    public static IReadOnlyList<string> Names() =>
        typeof(EmailTemplates).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^".liquid".Length]).Order(StringComparer.Ordinal).ToList();

    /// <summary>A date nobody can misread across locales: <c>2026-03-01 (Sunday, March 1, 2026)</c>.</summary>
    public static string Date(LocalDate date) => $"{IsoDate.Format(date)} ({LongDate.Format(date)})";

    public static string IsoDateOf(LocalDate date) => IsoDate.Format(date);

    /// <summary>An instant as the firm reads it: <c>2026-03-02 09:00 America/Chicago</c>.</summary>
    public static string At(Instant instant, DateTimeZone zone) =>
        LocalDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd HH':'mm").Format(instant.InZone(zone).LocalDateTime) + " " + zone.Id;

    public static string Amount(long minor, string currency) => Currencies.Format(new Money(minor, currency));

    private static string RenderOne(string name, IReadOnlyDictionary<string, object?> model)
    {
        var template = Parsed.GetOrAdd(name, Load);
        var context = new TemplateContext(Options);
        foreach (var (key, value) in model)
        {
            context.SetValue(key, value);
        }

        return template.Render(context, NullEncoder.Default);
    }

    private static IFluidTemplate Load(string name)
    {
        using var stream = typeof(EmailTemplates).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".liquid")
            ?? throw new InvalidOperationException($"The email template {name}.liquid is missing.");
        using var reader = new StreamReader(stream);
        var source = reader.ReadToEnd();
        return Parser.TryParse(source, out var template, out var error)
            ? template
            : throw new InvalidOperationException($"The email template {name}.liquid does not parse: {error}");
    }

    // Liquid tags leave blank lines behind; an email keeps at most one in a row, and Unix line ends.
    private static string Normalize(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        var kept = new List<string>();
        foreach (var line in lines)
        {
            if (line.Length == 0 && (kept.Count == 0 || kept[^1].Length == 0))
            {
                continue;
            }

            kept.Add(line);
        }

        return string.Join('\n', kept).TrimEnd() + "\n";
    }

    /// <summary>
    /// The model with every text HTML-encoded as <see cref="WebUtility.HtmlEncode(string)"/> does it (&amp;, &lt;, &gt;,
    /// &quot;, &amp;#39;): the HTML templates write values as given, so whatever people typed can never become markup.
    /// </summary>
    private static IReadOnlyDictionary<string, object?> HtmlEncoded(IReadOnlyDictionary<string, object?> model) =>
        model.ToDictionary(p => p.Key, p => Encode(p.Value), StringComparer.Ordinal);

    private static object? Encode(object? value) => value switch
    {
        string text => WebUtility.HtmlEncode(text),
        IReadOnlyDictionary<string, object?> map => HtmlEncoded(map),
        IEnumerable<IReadOnlyDictionary<string, object?>> rows => rows.Select(HtmlEncoded).ToList(),
        IEnumerable<string> texts => texts.Select(WebUtility.HtmlEncode).ToList(),
        _ => value,
    };
}
