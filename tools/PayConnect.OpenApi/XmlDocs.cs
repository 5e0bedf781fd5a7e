using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PayConnect.OpenApi;

/// <summary>The XML doc comments of the assemblies the contract comes from: summaries of function methods and records, and records' parameters.</summary>
internal sealed partial class XmlDocs
{
    private readonly Dictionary<string, XElement> members = new(StringComparer.Ordinal);

    public XmlDocs(IEnumerable<Assembly> assemblies)
    {
        foreach (var assembly in assemblies.Distinct())
        {
            var path = Path.ChangeExtension(assembly.Location, ".xml");
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"{path} is missing: the project of {assembly.GetName().Name} must set GenerateDocumentationFile.");
            }

            foreach (var member in XDocument.Load(path).Descendants("member"))
            {
                members[(string)member.Attribute("name")!] = member;
            }
        }
    }

    public string? Summary(Type type) => Text(Member("T:" + Id(type))?.Element("summary"));

    public string? Summary(MethodInfo method) =>
        Text(members.FirstOrDefault(m => m.Key.StartsWith($"M:{Id(method.DeclaringType!)}.{method.Name}(", StringComparison.Ordinal)).Value?.Element("summary"));

    /// <summary>A record's positional parameter, else the property's own summary.</summary>
    public string? Property(Type declaringType, string propertyName) =>
        Text(Member("T:" + Id(declaringType))?.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == propertyName))
        ?? Text(Member($"P:{Id(declaringType)}.{propertyName}")?.Element("summary"));

    public string? EnumValue(Type enumType, string name) => Text(Member($"F:{Id(enumType)}.{name}")?.Element("summary"));

    private XElement? Member(string id) => members.GetValueOrDefault(id);

    private static string Id(Type type) => (type.IsGenericType ? type.GetGenericTypeDefinition() : type).FullName!.Replace('+', '.');

    private static string? Text(XElement? element)
    {
        if (element is null)
        {
            return null;
        }

        // <see cref="T:X.Y"/> and <c>code</c> become plain words; whitespace is folded.
        var text = string.Concat(element.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "see" or "paramref" or "typeparamref" } e =>
                ((string?)e.Attribute("cref") ?? (string?)e.Attribute("name") ?? (string?)e.Attribute("langword") ?? string.Empty).Split(':', '.').Last().Split('`')[0],
            XElement e => e.Value,
            _ => string.Empty,
        }));
        text = Spaces().Replace(text, " ").Trim();
        return text.Length == 0 ? null : text;
    }

    [GeneratedRegex("\\s+")]
    private static partial Regex Spaces();
}
