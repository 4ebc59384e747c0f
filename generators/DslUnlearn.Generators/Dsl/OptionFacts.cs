namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// What the <c>[Option]</c> attribute and the property type say about one option: the generator's
/// <c>ComponentReader</c> feeds the named arguments and the type in, and <see cref="ToOption"/> makes the catalog entry.
/// </summary>
internal sealed class OptionFacts
{
    private string? _key;
    private string? _help;
    private double? _min;
    private double? _max;
    private bool _minExclusive;
    private bool? _sweepable;
    private bool _required;
    private bool _allowPercent = true;
    private string? _default;
    private string[] _aliases = Array.Empty<string>();
    private string[] _excludes = Array.Empty<string>();
    private string? _names;
    private string? _defaultFrom;
    private bool _path;
    private string[] _onlyFor = Array.Empty<string>();
    private string? _inapplicable;
    private string? _pattern;
    private string? _patternHelp;
    private bool _specFile;
    private string? _items;
    private bool _nonEmpty;
    private bool _distinct;
    private bool _text;
    private bool _discriminator;
    private bool _sweep;
    private string? _keyNeutral;

    /// <summary>Takes one named argument of <c>[Option(...)]</c> (unknown names and NaN bounds are ignored).</summary>
    public void Apply(string name, object? value)
    {
        switch (name)
        {
            case "Key": _key = value as string; break;
            case "Help": _help = value as string; break;
            case "Min" when value is double d && !double.IsNaN(d): _min = d; break;
            case "Max" when value is double d && !double.IsNaN(d): _max = d; break;
            case "MinExclusive" when value is bool b: _minExclusive = b; break;
            case "Sweepable" when value is bool b: _sweepable = b; break;
            case "Required" when value is bool b: _required = b; break;
            case "AllowPercent" when value is bool b: _allowPercent = b; break;
            case "Default": _default = value as string; break;
            case "Aliases" when value is string[] a: _aliases = a; break;
            case "Excludes" when value is string[] a: _excludes = a; break;
            case "Names": _names = value as string; break;
            case "DefaultFrom": _defaultFrom = value as string; break;
            case "Path" when value is bool b: _path = b; break;
            case "OnlyFor" when value is string[] a: _onlyFor = a; break;
            case "Inapplicable": _inapplicable = value as string; break;
            case "Pattern": _pattern = value as string; break;
            case "PatternHelp": _patternHelp = value as string; break;
            case "SpecFile" when value is bool b: _specFile = b; break;
            case "Items": _items = value as string; break;
            case "NonEmpty" when value is bool b: _nonEmpty = b; break;
            case "Distinct" when value is bool b: _distinct = b; break;
            case "Text" when value is bool b: _text = b; break;
            case "Discriminator" when value is bool b: _discriminator = b; break;
            case "Sweep" when value is bool b: _sweep = b; break;
            case "KeyNeutral": _keyNeutral = value as string; break;
        }
    }

    /// <summary>
    /// The kind and C# type of a non-enum property type given by its full metadata name ("System.Double",
    /// "DslUnlearn.Specs.Vocabulary.StepCount"); <paramref name="displayName"/> names an unsupported type in messages.
    /// </summary>
    public static (SpecValueKind Kind, string CSharp) Classify(string metadataName, string displayName)
    {
        var kind = ComponentCatalog.KindOfType(metadataName);
        return (kind, kind == SpecValueKind.Unsupported ? displayName : ComponentCatalog.CSharpTypeOf(metadataName));
    }

    /// <summary>The catalog entry; the XML doc <paramref name="doc"/> wins over <c>Help</c>. An option is sweepable unless it says <c>Sweepable = false</c>.</summary>
    public SpecKey ToOption(string property, SpecValueKind kind, string csharp, bool nullable, string doc, IEnumerable<EnumMemberInfo> members)
        => Make(property, kind, csharp, nullable, doc.Length > 0 ? doc : _help ?? string.Empty, members, _sweepable ?? true);

    /// <summary>
    /// A section key: <c>Help</c> wins over the XML doc, which speaks to C# readers of the record. A section key is swept
    /// at the experiment level only where its attribute says <c>Sweepable = true</c> (seed, the numbers of data, model, finetune).
    /// </summary>
    public SpecKey ToSectionKey(string property, SpecValueKind kind, string csharp, bool nullable, string doc, IEnumerable<EnumMemberInfo> members)
        => Make(property, kind, csharp, nullable, _help ?? doc, members, _sweepable ?? false);

    private SpecKey Make(string property, SpecValueKind kind, string csharp, bool nullable, string help, IEnumerable<EnumMemberInfo> members, bool sweepable)
        => new(_key ?? ComponentCatalog.SnakeCase(property), property, kind, csharp, nullable, _min, _minExclusive, _max,
            _required, sweepable, help, members.ToEquatableArray())
        {
            AllowsPercent = _allowPercent,
            Default = _default,
            Aliases = _aliases.ToEquatableArray(),
            Excludes = _excludes.ToEquatableArray(),
            Names = _names,
            DefaultFrom = _defaultFrom,
            IsPath = _path,
            OnlyFor = _onlyFor.ToEquatableArray(),
            Inapplicable = _inapplicable,
            Pattern = _pattern,
            PatternHelp = _patternHelp,
            IsSpecFile = _specFile,
            Items = _items,
            NonEmpty = _nonEmpty,
            Distinct = _distinct,
            IsText = _text,
            IsDiscriminator = _discriminator,
            IsItemSweep = _sweep,
            KeyNeutral = _keyNeutral,
        };
}
