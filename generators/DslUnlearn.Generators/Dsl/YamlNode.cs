namespace DslUnlearn.Generators.Dsl;

/// <summary>A small YAML tree where every node knows where it came from. Built by <see cref="YamlReader"/>.</summary>
internal abstract class YamlNode
{
    protected YamlNode(SourceSpan span) => Span = span;

    public SourceSpan Span { get; }

    /// <summary>What the node is, as messages name it: "null", "integer", "string 'abc'", "list", "mapping"...</summary>
    public abstract string Describe();
}

internal sealed class YamlScalar : YamlNode
{
    public YamlScalar(string value, bool isPlain, SourceSpan span)
        : base(span)
    {
        Value = value;
        IsPlain = isPlain;
    }

    public string Value { get; }

    /// <summary>False for quoted and block scalars: those are always strings.</summary>
    public bool IsPlain { get; }

    public bool IsNull => IsPlain && (Value.Length == 0 || Value == "~" || Value == "null" || Value == "Null" || Value == "NULL");

    public bool IsBoolean => IsPlain && (Value == "true" || Value == "True" || Value == "TRUE" ||
                                         Value == "false" || Value == "False" || Value == "FALSE");

    public override string Describe()
    {
        if (!IsPlain)
        {
            return $"quoted string \"{Shorten(Value)}\"";
        }

        if (IsNull)
        {
            return "null";
        }

        if (IsBoolean)
        {
            return $"boolean '{Value}'";
        }

        if (ScalarSyntax.IsInteger(Value))
        {
            return $"integer {Value}";
        }

        if (ScalarSyntax.IsNumber(Value))
        {
            return $"number {Value}";
        }

        return $"string '{Shorten(Value)}'";
    }

    private static string Shorten(string s)
    {
        s = s.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t");
        return s.Length <= 40 ? s : s.Substring(0, 37) + "...";
    }
}

internal sealed class YamlMapping : YamlNode
{
    public YamlMapping(IReadOnlyList<YamlEntry> entries, SourceSpan span)
        : base(span) => Entries = entries;

    /// <summary>Entries in file order; a duplicate key has been reported and dropped (the first one stays).</summary>
    public IReadOnlyList<YamlEntry> Entries { get; }

    public override string Describe() => "mapping";
}

internal sealed class YamlEntry
{
    public YamlEntry(YamlScalar key, YamlNode value)
    {
        Key = key;
        Value = value;
    }

    public YamlScalar Key { get; }

    public YamlNode Value { get; }
}

internal sealed class YamlSequence : YamlNode
{
    public YamlSequence(IReadOnlyList<YamlNode> items, SourceSpan span)
        : base(span) => Items = items;

    public IReadOnlyList<YamlNode> Items { get; }

    public override string Describe() => "list";
}

/// <summary>A node that could not be read (an alias, a complex key...); its problem is already reported.</summary>
internal sealed class YamlInvalid : YamlNode
{
    public YamlInvalid(SourceSpan span)
        : base(span)
    {
    }

    public override string Describe() => "invalid value";
}
