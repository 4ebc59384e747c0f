namespace DslUnlearn.Generators.Dsl;

/// <summary>
/// One compiled spec: everything the emitter needs, as plain values (records, strings, numbers, equatable arrays),
/// so the incremental generator can cache it. Never holds Roslyn objects.
/// </summary>
/// <param name="Name">The experiment name (<c>experiment:</c>).</param>
/// <param name="ClassName">The generated class, e.g. <c>QuickstartExperiment</c>.</param>
/// <param name="SourceFile">The YAML path relative to the project, with '/' separators.</param>
/// <param name="Description">The description, for the class's doc comment.</param>
/// <param name="NameLocation">Where the name is written (for DSLU0008), as data.</param>
/// <param name="Spec">The fully resolved <c>ExperimentSpec</c> value, every property set.</param>
internal sealed record ExperimentModel(
    string Name,
    string ClassName,
    string SourceFile,
    string Description,
    SpecLocation NameLocation,
    SpecObject Spec)
{
    /// <summary>The generated file's hint name, e.g. <c>quickstart.g.cs</c>.</summary>
    public string HintName => Name + ".g.cs";

    /// <summary>
    /// The experiment-level sweep cells in order (empty when nothing is swept at the experiment level); the first is
    /// <see cref="Spec"/>. Each spec carries its id in its <c>Cell</c> property.
    /// </summary>
    public EquatableArray<ExperimentCell> Cells { get; init; } = EquatableArray<ExperimentCell>.Empty;

    /// <summary>The schema's key-neutral keys (<see cref="SpecSchema.KeyNeutral"/>), which the static plan leaves out at their neutral value.</summary>
    public EquatableArray<KeyNeutral> KeyNeutral { get; init; } = EquatableArray<KeyNeutral>.Empty;
}

/// <summary>One experiment-level sweep cell: its stable id (<c>seed=2,finetune.lr=3e-3</c>) and its resolved spec.</summary>
internal sealed record ExperimentCell(string Id, SpecObject Spec);

/// <summary>A file path plus a span, kept as data.</summary>
internal sealed record SpecLocation(string FilePath, SourceSpan Span);

/// <summary>The result of compiling one spec file: a model when it has no errors, and its diagnostics.</summary>
internal sealed record SpecFileResult(ExperimentModel? Model, EquatableArray<SpecDiagnostic> Diagnostics);

/// <summary>A resolved value of the spec, ready to be written as a C# expression.</summary>
internal abstract record SpecValue;

internal sealed record SpecInt(int Value) : SpecValue;

internal sealed record SpecNumber(double Value) : SpecValue;

internal sealed record SpecString(string Value) : SpecValue;

/// <summary>A component backed by an enum: <paramref name="EnumType"/>.<paramref name="Member"/>; <paramref name="Name"/> is the YAML name.</summary>
internal sealed record SpecEnum(string EnumType, string Member, string Name) : SpecValue;

/// <summary><c>new Type { Property = value, ... }</c> with properties in declaration order.</summary>
internal sealed record SpecObject(string Type, EquatableArray<SpecProperty> Properties) : SpecValue
{
    public SpecValue? Get(string property)
    {
        foreach (var p in Properties)
        {
            if (string.Equals(p.Name, property, StringComparison.Ordinal))
            {
                return p.Value;
            }
        }

        return null;
    }
}

internal sealed record SpecProperty(string Name, SpecValue Value);

/// <summary>An <c>ImmutableArray&lt;ElementType&gt;</c>.</summary>
internal sealed record SpecList(string ElementType, EquatableArray<SpecValue> Items) : SpecValue;

internal sealed record SpecBool(bool Value) : SpecValue;

/// <summary>The C# <c>null</c> (no calibration, no checkpoint, a nullable option set to null).</summary>
internal sealed record SpecNull : SpecValue
{
    public static SpecNull Instance { get; } = new();
}

/// <summary><c>new Type(arguments)</c>: a component constructed with its options record.</summary>
internal sealed record SpecNew(string Type, EquatableArray<SpecValue> Arguments) : SpecValue;
