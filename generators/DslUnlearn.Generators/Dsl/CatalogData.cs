using System.Globalization;
using System.IO;
using System.Text;
using YamlDotNet.RepresentationModel;
using YNode = YamlDotNet.RepresentationModel.YamlNode;

namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// The component catalog as data: the generator reads it once from the compilation's references
/// (<c>ComponentReader</c>) and compiles it into the build as JSON (<c>ExperimentComponents.Catalog</c>); the CLI's
/// <c>validate</c> and <c>components</c> read that text back. One source of truth, so the build, validate and the
/// component list cannot disagree. JSON is written here and read with YamlDotNet (JSON is YAML's flow syntax), which
/// both the generator (netstandard2.0) and the CLI already ship.
/// </summary>
internal static class CatalogData
{
    public static string Write(ComponentCatalog catalog)
    {
        var sb = new StringBuilder();
        sb.Append("{\"components\":[");
        var first = true;
        foreach (var c in catalog.Components)
        {
            sb.Append(first ? "\n" : ",\n");
            first = false;
            sb.Append("{\"kind\":").Append(Str(c.Kind.ToString()))
                .Append(",\"name\":").Append(Str(c.Name))
                .Append(",\"type\":").Append(Str(c.TypeName))
                .Append(",\"options_type\":").Append(Str(c.OptionsType))
                .Append(",\"help\":").Append(Str(c.Help))
                .Append(",\"lower_is_better\":").Append(Bool(c.LowerIsBetter))
                .Append(",\"lower_is_better_on_forget\":").Append(Bool(c.LowerIsBetterOnForget))
                .Append(",\"preserves_knowledge\":").Append(Bool(c.PreservesKnowledge))
                .Append(",\"needs\":").Append(c.Needs.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(",\"options\":[");
            WriteOptions(sb, c.Options);
            sb.Append("]}");
        }

        sb.Append("],\n\"sections\":[");
        first = true;
        foreach (var section in catalog.Sections)
        {
            sb.Append(first ? "\n" : ",\n");
            first = false;
            sb.Append("{\"type\":").Append(Str(section.TypeName))
                .Append(",\"properties\":[").Append(string.Join(",", section.Properties.Select(Str))).Append(']')
                .Append(",\"component_property\":").Append(StrOrNull(section.ComponentProperty))
                .Append(",\"component_kind\":").Append(StrOrNull(section.ComponentKind?.ToString()))
                .Append(",\"keys\":[");
            WriteOptions(sb, section.Keys);
            sb.Append("]}");
        }

        sb.Append("],\n\"problems\":[").Append(string.Join(",", catalog.Problems.Select(Str))).Append("]}\n");
        return sb.ToString();
    }

    private static void WriteOptions(StringBuilder sb, EquatableArray<SpecKey> options)
    {
        var first = true;
        foreach (var o in options)
        {
            sb.Append(first ? "\n " : ",\n ");
            first = false;
            sb.Append("{\"key\":").Append(Str(o.Key))
                .Append(",\"property\":").Append(Str(o.Property))
                .Append(",\"kind\":").Append(Str(o.TypeKind.ToString()))
                .Append(",\"csharp_type\":").Append(Str(o.CSharpType))
                .Append(",\"nullable\":").Append(Bool(o.Nullable))
                .Append(",\"min\":").Append(Num(o.Min))
                .Append(",\"min_exclusive\":").Append(Bool(o.MinExclusive))
                .Append(",\"max\":").Append(Num(o.Max))
                .Append(",\"required\":").Append(Bool(o.Required))
                .Append(",\"sweepable\":").Append(Bool(o.Sweepable))
                .Append(",\"allows_percent\":").Append(Bool(o.AllowsPercent))
                .Append(",\"help\":").Append(Str(o.Help))
                .Append(",\"default\":").Append(StrOrNull(o.Default))
                .Append(",\"aliases\":[").Append(string.Join(",", o.Aliases.Select(Str))).Append(']')
                .Append(",\"excludes\":[").Append(string.Join(",", o.Excludes.Select(Str))).Append(']')
                .Append(",\"names\":").Append(StrOrNull(o.Names))
                .Append(",\"default_from\":").Append(StrOrNull(o.DefaultFrom))
                .Append(",\"path\":").Append(Bool(o.IsPath))
                .Append(",\"only_for\":[").Append(string.Join(",", o.OnlyFor.Select(Str))).Append(']')
                .Append(",\"inapplicable\":").Append(StrOrNull(o.Inapplicable))
                .Append(",\"pattern\":").Append(StrOrNull(o.Pattern))
                .Append(",\"pattern_help\":").Append(StrOrNull(o.PatternHelp))
                .Append(",\"spec_file\":").Append(Bool(o.IsSpecFile))
                .Append(",\"items\":").Append(StrOrNull(o.Items))
                .Append(",\"composition\":").Append(Bool(o.IsComposition))
                .Append(",\"list\":").Append(Bool(o.IsList))
                .Append(",\"non_empty\":").Append(Bool(o.NonEmpty))
                .Append(",\"distinct\":").Append(Bool(o.Distinct))
                .Append(",\"text\":").Append(Bool(o.IsText))
                .Append(",\"before\":").Append(StrOrNull(o.Before))
                .Append(",\"discriminator\":").Append(Bool(o.IsDiscriminator))
                .Append(",\"item_sweep\":").Append(Bool(o.IsItemSweep))
                .Append(",\"key_neutral\":").Append(StrOrNull(o.KeyNeutral))
                .Append(",\"nested\":[").Append(string.Join(",", o.Nested.Select(NestedKey))).Append(']')
                .Append(",\"enum\":[")
                .Append(string.Join(",", o.EnumMembers.Select(EnumMember)))
                .Append("]}");
        }
    }

    /// <summary>[name, member], and the [Choice]'s help and aliases when it has them (an option's enum has none).</summary>
    private static string EnumMember(EnumMemberInfo m)
        => "[" + Str(m.Name) + "," + Str(m.Member) + (m.Help.Length > 0 || m.Aliases.Count > 0 ? "," + Str(m.Help) + ",[" + string.Join(",", m.Aliases.Select(Str)) + "]" : "") + "]";

    private static EnumMemberInfo ReadEnumMember(YamlSequenceNode m) => new(Scalar(m.Children[0]), Scalar(m.Children[1]))
    {
        Help = m.Children.Count > 2 ? Scalar(m.Children[2]) : "",
        Aliases = m.Children.Count > 3 ? ((YamlSequenceNode)m.Children[3]).Children.Select(Scalar).ToEquatableArray() : EquatableArray<string>.Empty,
    };

    private static string NestedKey(NestedKeyInfo k)
        => "{\"key\":" + Str(k.Key) + ",\"default\":" + StrOrNull(k.Default) + ",\"help\":" + StrOrNull(k.Help) +
           ",\"aliases\":" + (k.HasAliases ? "[" + string.Join(",", k.Aliases.Select(Str)) + "]" : "null") + "}";

    public static ComponentCatalog Read(string json)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(json));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var components = new List<ComponentInfo>();
        foreach (var node in Seq(root, "components"))
        {
            var c = (YamlMappingNode)node;
            var options = ReadOptions(c, "options");
            components.Add(new ComponentInfo((ComponentKind)Enum.Parse(typeof(ComponentKind), Text(c, "kind")), Text(c, "name"), Text(c, "type"),
                Text(c, "options_type"), Text(c, "help"), options.ToEquatableArray(),
                int.Parse(Text(c, "needs"), System.Globalization.CultureInfo.InvariantCulture))
            {
                LowerIsBetter = Flag(c, "lower_is_better"),
                LowerIsBetterOnForget = Flag(c, "lower_is_better_on_forget"),
                PreservesKnowledge = Flag(c, "preserves_knowledge"),
            });
        }

        var sections = Seq(root, "sections").Cast<YamlMappingNode>().Select(x => new SectionInfo(Text(x, "type"), ReadOptions(x, "keys").ToEquatableArray())
        {
            Properties = Seq(x, "properties").Select(Scalar).ToEquatableArray(),
            ComponentProperty = NullableText(x, "component_property"),
            ComponentKind = NullableText(x, "component_kind") is { } kind ? (ComponentKind)Enum.Parse(typeof(ComponentKind), kind) : null,
        });
        return new ComponentCatalog(components.ToEquatableArray(), Seq(root, "problems").Select(Scalar).ToEquatableArray()) { Sections = sections.ToEquatableArray() };
    }

    private static IEnumerable<SpecKey> ReadOptions(YamlMappingNode map, string key)
        => Seq(map, key).Cast<YamlMappingNode>().Select(o => new SpecKey(
            Text(o, "key"), Text(o, "property"), (SpecValueKind)Enum.Parse(typeof(SpecValueKind), Text(o, "kind")), Text(o, "csharp_type"),
            Flag(o, "nullable"), Number(o, "min"), Flag(o, "min_exclusive"), Number(o, "max"), Flag(o, "required"), Flag(o, "sweepable"),
            Text(o, "help"),
            Seq(o, "enum").Cast<YamlSequenceNode>().Select(ReadEnumMember).ToEquatableArray())
        {
            AllowsPercent = Flag(o, "allows_percent"),
            Default = NullableText(o, "default"),
            Aliases = Seq(o, "aliases").Select(Scalar).ToEquatableArray(),
            Excludes = Seq(o, "excludes").Select(Scalar).ToEquatableArray(),
            Names = NullableText(o, "names"),
            DefaultFrom = NullableText(o, "default_from"),
            IsPath = Flag(o, "path"),
            OnlyFor = Seq(o, "only_for").Select(Scalar).ToEquatableArray(),
            Inapplicable = NullableText(o, "inapplicable"),
            Pattern = NullableText(o, "pattern"),
            PatternHelp = NullableText(o, "pattern_help"),
            IsSpecFile = Flag(o, "spec_file"),
            Items = NullableText(o, "items"),
            IsComposition = Flag(o, "composition"),
            IsList = Flag(o, "list"),
            NonEmpty = Flag(o, "non_empty"),
            Distinct = Flag(o, "distinct"),
            IsText = Flag(o, "text"),
            Before = NullableText(o, "before"),
            IsDiscriminator = Flag(o, "discriminator"),
            IsItemSweep = Flag(o, "item_sweep"),
            KeyNeutral = NullableText(o, "key_neutral"),
            Nested = Seq(o, "nested").Cast<YamlMappingNode>().Select(ReadNestedKey).ToEquatableArray(),
        });

    private static NestedKeyInfo ReadNestedKey(YamlMappingNode n)
    {
        var aliases = n.Children[new YamlScalarNode("aliases")] as YamlSequenceNode; // a plain null: no aliases written there
        return new NestedKeyInfo(Text(n, "key"), NullableText(n, "default"), NullableText(n, "help"),
            aliases is not null, aliases?.Children.Select(Scalar).ToEquatableArray() ?? EquatableArray<string>.Empty);
    }

    /// <summary>A string, or null for a plain <c>null</c>.</summary>
    private static string? NullableText(YamlMappingNode map, string key)
    {
        var node = (YamlScalarNode)map.Children[new YamlScalarNode(key)];
        return node.Value == "null" && node.Style == YamlDotNet.Core.ScalarStyle.Plain ? null : node.Value ?? "";
    }

    private static IEnumerable<YNode> Seq(YamlMappingNode map, string key) => ((YamlSequenceNode)map.Children[new YamlScalarNode(key)]).Children;

    private static string Scalar(YNode node) => ((YamlScalarNode)node).Value ?? "";

    private static string Text(YamlMappingNode map, string key) => Scalar(map.Children[new YamlScalarNode(key)]);

    private static bool Flag(YamlMappingNode map, string key) => Text(map, key) == "true";

    private static double? Number(YamlMappingNode map, string key)
    {
        var node = (YamlScalarNode)map.Children[new YamlScalarNode(key)];
        return node.Value == "null" && node.Style == YamlDotNet.Core.ScalarStyle.Plain ? null : double.Parse(node.Value!, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static string Bool(bool b) => b ? "true" : "false";

    /// <summary>A JSON string literal, or <c>null</c> (what <see cref="NullableText"/> reads back).</summary>
    private static string StrOrNull(string? s) => s is null ? "null" : Str(s);

    private static string Num(double? v) => v is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : "null";

    /// <summary>A JSON string literal; the escapes are also YAML's, so YamlDotNet reads it back exactly.</summary>
    internal static string Str(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (ch < 0x20) sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}
