using System.Text;

namespace DslUnlearn.Generators.Dsl;

/// <summary>The kinds of runtime components the spec language constructs.</summary>
internal enum ComponentKind
{
    /// <summary>[UnlearningMethod("x")] : IUnlearningMethod, in 'unlearn' items (key 'method').</summary>
    Method,

    /// <summary>[Metric("x")] : IMetric, in 'metrics' items (key 'metric').</summary>
    Metric,

    /// <summary>[Attack("x")] : IAttack, in 'attacks' items (key 'attack').</summary>
    Attack,

    /// <summary>[Calibrator("x")] : ICalibrator, in 'calibration' (key 'calibrator').</summary>
    Calibrator,
}

/// <summary>
/// <c>[NestedKey("epochs", Default = "20", ...)]</c> on a nested section key: one key of the nested record written
/// here, with this use's default, help and aliases (null / <see cref="HasAliases"/> false = the record's).
/// </summary>
internal sealed record NestedKeyInfo(string Key, string? Default, string? Help, bool HasAliases, EquatableArray<string> Aliases);

/// <summary>A member of an enum-typed option: its YAML name (snake_case) and its C# member.</summary>
internal sealed record EnumMemberInfo(string Name, string Member)
{
    /// <summary>Name sets only (<c>[Choice(Help = ...)]</c>): what the name means.</summary>
    public string Help { get; init; } = "";

    /// <summary>Name sets only (<c>[Choice(Aliases = [...])]</c>): other spellings; they only feed "did you mean".</summary>
    public EquatableArray<string> Aliases { get; init; } = EquatableArray<string>.Empty;
}

/// <summary>
/// A built-in section record of <c>DslUnlearn.Specs</c> (<c>FinetuneSpec</c>) whose properties carry <c>[Option]</c>:
/// its keys in declaration order, declared there once (kind from the type; range, default, help, aliases from the attribute).
/// </summary>
internal sealed record SectionInfo(string TypeName, EquatableArray<SpecKey> Keys)
{
    /// <summary>Every settable property of the record, in declaration order: an item record is built in this order (keys and the rest).</summary>
    public EquatableArray<string> Properties { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Item records only: the property that holds the constructed component (its type is a component interface: <c>UnlearnSpec.Method</c>).</summary>
    public string? ComponentProperty { get; init; }

    /// <summary>Item records only: the kind of component <see cref="ComponentProperty"/> holds (its interface's).</summary>
    public ComponentKind? ComponentKind { get; init; }
}

/// <summary>One runtime component: its YAML name, kind, C# type, options type and options.</summary>
internal sealed record ComponentInfo(
    ComponentKind Kind,
    string Name,
    string TypeName,
    string OptionsType,
    string Help,
    EquatableArray<SpecKey> Options,
    int Needs = 0)
{
    /// <summary>Metrics: <c>[Metric(..., LowerIsBetter = true)]</c>, lower values mean more knowledge (nll, perplexity).</summary>
    public bool LowerIsBetter { get; init; }

    /// <summary>Metrics: <c>[Metric(..., LowerIsBetterOnForget = true)]</c>, with default options lower values mean more knowledge
    /// on the forget split only (truth_ratio's closer_to_1 default there).</summary>
    public bool LowerIsBetterOnForget { get; init; }

    /// <summary>Attacks: <c>[Attack(..., PreservesKnowledge = true)]</c>, the attack changes how the model is asked or read, not its weights.</summary>
    public bool PreservesKnowledge { get; init; }

    /// <summary>These facts from the named arguments of the component's attribute.</summary>
    public ComponentInfo WithAttributeFacts(IEnumerable<KeyValuePair<string, object?>> namedArguments)
    {
        var info = this;
        foreach (var named in namedArguments)
        {
            info = (named.Key, named.Value) switch
            {
                ("LowerIsBetter", bool b) => info with { LowerIsBetter = b },
                ("LowerIsBetterOnForget", bool b) => info with { LowerIsBetterOnForget = b },
                ("PreservesKnowledge", bool b) => info with { PreservesKnowledge = b },
                _ => info,
            };
        }

        return info;
    }

    public SpecKey? Find(string key)
    {
        foreach (var option in Options)
        {
            if (string.Equals(option.Key, key, StringComparison.Ordinal))
            {
                return option;
            }
        }

        return null;
    }
}

/// <summary>
/// The components available to specs, read from the compilation's references (generator) and compiled into the build as
/// data (<see cref="CatalogData"/>) that the CLI reads back. <see cref="Problems"/> lists components that break the attribute contract.
/// </summary>
internal sealed record ComponentCatalog(EquatableArray<ComponentInfo> Components, EquatableArray<string> Problems)
{
    public const string AttributeNamespace = "DslUnlearn.Components";
    public const string ComponentAttribute = AttributeNamespace + ".ComponentAttribute";
    public const string OptionAttribute = AttributeNamespace + ".OptionAttribute";
    public const string NestedKeyAttribute = AttributeNamespace + ".NestedKeyAttribute";
    public const string CompositionKeyAttribute = AttributeNamespace + ".CompositionKeyAttribute";
    public const string ItemKeyAttribute = AttributeNamespace + ".ItemKeyAttribute";
    public const string ChoiceAttribute = AttributeNamespace + ".ChoiceAttribute";

    public static ComponentCatalog Empty { get; } = new(EquatableArray<ComponentInfo>.Empty, EquatableArray<string>.Empty);

    /// <summary>The namespace of the built-in section records whose <c>[Option]</c> properties are section keys.</summary>
    public const string SpecsNamespace = "DslUnlearn.Specs";

    /// <summary>The built-in section records that declare their keys with <c>[Option]</c>, by <see cref="SectionInfo.TypeName"/>.</summary>
    public EquatableArray<SectionInfo> Sections { get; init; } = EquatableArray<SectionInfo>.Empty;

    /// <summary>The section record <paramref name="typeName"/> (global:: qualified), or null when the references hold none.</summary>
    public SectionInfo? Section(string typeName) => Sections.FirstOrDefault(s => string.Equals(s.TypeName, typeName, StringComparison.Ordinal));

    /// <summary>The attribute class name of each kind (in <see cref="AttributeNamespace"/>).</summary>
    public static ComponentKind? KindOfAttribute(string attributeName) => attributeName switch
    {
        "UnlearningMethodAttribute" => ComponentKind.Method,
        "MetricAttribute" => ComponentKind.Metric,
        "AttackAttribute" => ComponentKind.Attack,
        "CalibratorAttribute" => ComponentKind.Calibrator,
        _ => null,
    };

    /// <summary>The interface a component of this kind implements (full metadata name).</summary>
    public static string InterfaceOf(ComponentKind kind) => kind switch
    {
        ComponentKind.Method => "DslUnlearn.Methods.IUnlearningMethod",
        ComponentKind.Metric => "DslUnlearn.Metrics.IMetric",
        ComponentKind.Attack => "DslUnlearn.Attacks.IAttack",
        _ => "DslUnlearn.Calibration.ICalibrator",
    };

    /// <summary>"method", "metric", "attack", "calibrator": how messages name the kind.</summary>
    public static string Noun(ComponentKind kind) => kind switch
    {
        ComponentKind.Method => "method",
        ComponentKind.Metric => "metric",
        ComponentKind.Attack => "attack",
        _ => "calibrator",
    };

    public IEnumerable<ComponentInfo> OfKind(ComponentKind kind) => Components.Where(c => c.Kind == kind);

    public ComponentInfo? Find(ComponentKind kind, string name)
        => Components.FirstOrDefault(c => c.Kind == kind && string.Equals(c.Name, name, StringComparison.Ordinal));

    /// <summary>
    /// Sorts components (kind, then name) and drops every component whose name is taken by an earlier one of the
    /// same kind, recording the clash in <see cref="Problems"/>.
    /// </summary>
    public static ComponentCatalog Create(IEnumerable<ComponentInfo> components, IEnumerable<string> problems)
    {
        var list = new List<ComponentInfo>();
        var allProblems = problems.ToList();
        foreach (var group in components.GroupBy(c => (c.Kind, c.Name)).OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(c => c.TypeName, StringComparer.Ordinal).ToList();
            list.Add(ordered[0]);
            if (ordered.Count > 1)
            {
                allProblems.Add($"two {Noun(group.Key.Kind)}s are named '{group.Key.Name}': {string.Join(", ", ordered.Select(c => c.TypeName))}; " +
                                $"'{group.Key.Name}' means {ordered[0].TypeName}; rename the others in their attribute");
            }
        }

        return new ComponentCatalog(list.ToEquatableArray(), allProblems.OrderBy(p => p, StringComparer.Ordinal).ToEquatableArray());
    }

    /// <summary>"RetainWeight" -> "retain_weight" (<see cref="OptionKeyNames"/>, shared with the runtime).</summary>
    public static string SnakeCase(string name) => OptionKeyNames.SnakeCase(name);

    /// <summary>
    /// The option kind of a property type given by its full metadata name ("System.Double"); enums are decided by the
    /// caller. Returns <see cref="SpecValueKind.Unsupported"/> for anything else.
    /// </summary>
    public static SpecValueKind KindOfType(string metadataName) => metadataName switch
    {
        "System.Int32" or "System.Int64" or "System.Int16" => SpecValueKind.Integer,
        "System.Double" or "System.Single" => SpecValueKind.Number,
        "System.Boolean" => SpecValueKind.Boolean,
        "System.String" => SpecValueKind.String,
        StepCountSyntax.RuntimeType => SpecValueKind.StepCount,
        _ => SpecValueKind.Unsupported,
    };

    /// <summary>The C# keyword of a supported primitive metadata name, else the global:: qualified name.</summary>
    public static string CSharpTypeOf(string metadataName) => metadataName switch
    {
        "System.Int32" => "int",
        "System.Int64" => "long",
        "System.Int16" => "short",
        "System.Double" => "double",
        "System.Single" => "float",
        "System.Boolean" => "bool",
        "System.String" => "string",
        _ => "global::" + metadataName.Replace('+', '.'),
    };

    /// <summary>The text of the &lt;summary&gt; of an XML doc comment, whitespace collapsed, tags reduced to their text.</summary>
    public static string SummaryOf(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return string.Empty;
        }

        var start = xml!.IndexOf("<summary>", StringComparison.Ordinal);
        var end = xml.IndexOf("</summary>", StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            return string.Empty;
        }

        var inner = xml.Substring(start + 9, end - start - 9);
        inner = System.Text.RegularExpressions.Regex.Replace(inner, "<(see|paramref|typeparamref)\\s+(cref|name|langword)=\"(?:[A-Z]:)?([^\"]*)\"\\s*/>", m =>
        {
            var v = m.Groups[3].Value;
            var dot = v.LastIndexOf('.');
            return dot >= 0 ? v.Substring(dot + 1) : v;
        });
        inner = System.Text.RegularExpressions.Regex.Replace(inner, "<[^>]+>", string.Empty);
        inner = inner.Replace("&lt;", "<").Replace("&gt;", ">").Replace("&amp;", "&");
        return System.Text.RegularExpressions.Regex.Replace(inner, "\\s+", " ").Trim();
    }
}
