using System.Globalization;
using System.Xml.Linq;

namespace DslUnlearn.Generators.Tests.Infrastructure;

/// <summary>Doc comments from an assembly's .xml file (Roslyn's XmlDocumentationProvider lives in Workspaces).</summary>
internal sealed class XmlDocs : DocumentationProvider
{
    private readonly string _path;
    private readonly Dictionary<string, string> _members;

    public XmlDocs(string path)
    {
        _path = path;
        _members = XDocument.Load(path).Descendants("member")
            .Where(m => m.Attribute("name") is not null)
            .GroupBy(m => m.Attribute("name")!.Value)
            .ToDictionary(g => g.Key, g => g.First().ToString(), StringComparer.Ordinal);
    }

    protected override string? GetDocumentationForSymbol(string documentationMemberID, CultureInfo preferredCulture, CancellationToken cancellationToken = default)
        => _members.TryGetValue(documentationMemberID, out var xml) ? xml : null;

    public override bool Equals(object? obj) => obj is XmlDocs other && other._path == _path;

    public override int GetHashCode() => _path.GetHashCode(StringComparison.Ordinal);
}
