using System.Xml;
using System.Xml.Linq;

namespace DslUnlearn.Generators.Dsl;

/// <summary>The text of one XML documentation file (an assembly's <c>.xml</c>), as an additional file.</summary>
internal sealed record XmlDocFile(string Path, string? Text);

/// <summary>
/// Doc comments by member id ("P:Ns.Type.Prop", "T:Ns.Type") from the XML documentation files passed to the
/// generator as additional files. With a ProjectReference the compiler references <c>obj/.../ref/X.dll</c>, which
/// has no <c>X.xml</c> beside it, so <c>ISymbol.GetDocumentationCommentXml()</c> is empty in a real build; the
/// experiments project therefore passes each referenced project's documentation file (see its csproj), and the
/// component reader falls back to this index. Equality is by the files' paths and texts, so it caches.
/// </summary>
internal sealed class XmlDocIndex : IEquatable<XmlDocIndex>
{
    private readonly EquatableArray<XmlDocFile> _files;
    private Dictionary<string, string>? _members;

    public XmlDocIndex(EquatableArray<XmlDocFile> files) => _files = files;

    public static XmlDocIndex Empty { get; } = new(EquatableArray<XmlDocFile>.Empty);

    /// <summary>The &lt;member&gt; element of <paramref name="id"/>, or null (the first file that documents it wins).</summary>
    public string? Find(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        _members ??= Build(_files);
        return _members.TryGetValue(id!, out var xml) ? xml : null;
    }

    /// <summary>Every &lt;member name="..."&gt; of an XML documentation text; an unreadable or other XML file gives nothing.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Members(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Array.Empty<KeyValuePair<string, string>>();
        }

        try
        {
            var doc = XDocument.Parse(text);
            if (doc.Root?.Name.LocalName != "doc")
            {
                return Array.Empty<KeyValuePair<string, string>>();
            }

            return doc.Root.Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .Select(m => new KeyValuePair<string, string>(m.Attribute("name")!.Value, m.ToString()))
                .ToList();
        }
        catch (XmlException)
        {
            return Array.Empty<KeyValuePair<string, string>>();
        }
    }

    private static Dictionary<string, string> Build(EquatableArray<XmlDocFile> files)
    {
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var pair in Members(file.Text))
            {
                if (!members.ContainsKey(pair.Key))
                {
                    members.Add(pair.Key, pair.Value);
                }
            }
        }

        return members;
    }

    public bool Equals(XmlDocIndex? other) => other is not null && _files.Equals(other._files);

    public override bool Equals(object? obj) => Equals(obj as XmlDocIndex);

    public override int GetHashCode() => _files.GetHashCode();
}
