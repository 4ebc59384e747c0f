namespace DslUnlearn.Components;

/// <summary>
/// Marks a runtime class as a DSL component with the name YAML uses for it. The source generator reads
/// these attributes from the compilation's references, validates YAML against the component's options
/// type and emits code that constructs the real class: a class written in C# with one of these
/// attributes is usable, and checked, in YAML with no other edit.
/// Contract for a component class: public, non-abstract, one public constructor whose single parameter
/// is its options type (a class or record with public settable/init properties; the YAML keys are the
/// snake_case property names unless <see cref="OptionAttribute.Key"/> says otherwise; property
/// initializers are the defaults; the XML doc comment of a property is its help text).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public abstract class ComponentAttribute(string name) : Attribute
{
    /// <summary>The YAML name, lower snake case (e.g. "npo", "es_exact").</summary>
    public string Name { get; } = name;

    /// <summary>
    /// The version of the component's code: bump it whenever a change alters the numbers the component produces
    /// (a metric's formula, a method's update, an attack's procedure). It enters the key of every stage that runs the
    /// component, so stored results of the old code are never reused; golden tests record it beside their expected values.
    /// </summary>
    public int Version { get; set; } = 1;
}

/// <summary>An unlearning method (implements <see cref="Methods.IUnlearningMethod"/>), e.g. <c>[UnlearningMethod("npo")]</c>.</summary>
public sealed class UnlearningMethodAttribute(string name) : ComponentAttribute(name);

/// <summary>An evaluation metric (implements <see cref="Metrics.IMetric"/>), e.g. <c>[Metric("es_exact")]</c>.</summary>
public sealed class MetricAttribute(string name) : ComponentAttribute(name)
{
    /// <summary>
    /// Lower values mean more knowledge (<c>[Metric("nll", LowerIsBetter = true)]</c>). Calibration refuses such a
    /// metric as its criterion (the generator at build time, the runner for specs written in C#), and the
    /// meta-evaluation's quantization score takes 1/m for it.
    /// </summary>
    public bool LowerIsBetter { get; set; }
    /// <summary>
    /// With default options, lower values mean more knowledge on the forget split only (truth_ratio, whose default aggregation
    /// is closer_to_1 there; forget_quality, a p-value that is high when the model looks like the oracle). The instance decides at run time (Metrics.IMetric.LowerIsBetterOn); this fact is for the
    /// generator, which refuses such a calibration criterion on forget at build time (calibration builds its metrics with
    /// default options). A runtime test checks that the fact and the default instance agree.
    /// </summary>
    public bool LowerIsBetterOnForget { get; set; }
    /// <summary>Inputs beyond the split the metric cannot do without; the generator turns a spec that lacks one into
    /// a build error at the metric's line (<see cref="MetricNeedsText"/> words it), and the run checks it again.</summary>
    public MetricNeeds Needs { get; set; }
}

/// <summary>What a metric needs from the spec besides its split (<see cref="MetricAttribute.Needs"/>).</summary>
[Flags]
public enum MetricNeeds
{
    None = 0,
    /// <summary>The oracle (retain-only) model as <see cref="Metrics.MetricContext.Reference"/>: <c>finetune.oracle: true</c>.</summary>
    Oracle = 1,
    /// <summary>Non-members as <see cref="Metrics.MetricContext.Holdout"/>: <c>data.holdout_authors</c> or <c>data.holdout</c>.</summary>
    Holdout = 2,
    /// <summary>TOFU's real_authors and world_facts as <see cref="Metrics.MetricContext.AuxiliarySplits"/>: <c>data.source: tofu</c>.</summary>
    AuxiliarySplits = 4,
}

/// <summary>
/// The one wording of a missing metric input, naming the key that provides it. The generator
/// (DslUnlearn.Generators.Dsl.MetricNeedsText) words its build error the same way; a generator test compares them.
/// </summary>
public static class MetricNeedsText
{
    /// <summary>TOFU's auxiliary splits that model_utility reads.</summary>
    public static readonly IReadOnlyList<string> AuxiliarySplits = ["real_authors", "world_facts"];

    public static string For(string metric, MetricNeeds need) => need switch
    {
        MetricNeeds.Oracle => $"metric '{metric}' needs the oracle (a model fine-tuned on the retain split only) as its reference model: set 'finetune.oracle: true'",
        MetricNeeds.Holdout => $"metric '{metric}' needs a holdout (non-members, never trained on): set 'data.holdout_authors: N' (synthetic: N extra generated authors; " +
                               "TOFU: the last N retain authors, taken out of every fine-tuning) or 'data.holdout: <file>' (non-member QA pairs, for a supplied model.checkpoint)",
        MetricNeeds.AuxiliarySplits => $"metric '{metric}' needs TOFU's auxiliary splits real_authors and world_facts: set 'data.source: tofu' with a data.path folder " +
                                       "that holds real_authors_perturbed.json and world_facts_perturbed.json, or 'data.source: biographies' with 'testbed.auxiliary_splits: true' (the testbed's own)",
        _ => throw new ArgumentOutOfRangeException(nameof(need), need, "one need at a time"),
    };
}

/// <summary>A red-teaming attack (implements <see cref="Attacks.IAttack"/>), e.g. <c>[Attack("relearn")]</c>.</summary>
public sealed class AttackAttribute(string name) : ComponentAttribute(name)
{
    /// <summary>
    /// The attack changes only how the model is asked or read, not what its weights know
    /// (<c>[Attack("probe", PreservesKnowledge = true)]</c>): the robustness report expects a slope near 1 for a
    /// pipeline made only of such attacks and gives |slope - 1|.
    /// </summary>
    public bool PreservesKnowledge { get; set; }
}

/// <summary>A calibration procedure (implements <see cref="Calibration.ICalibrator"/>), e.g. <c>[Calibrator("model_mixing")]</c>.</summary>
public sealed class CalibratorAttribute(string name) : ComponentAttribute(name);

/// <summary>
/// Validation and naming of one key: a component option property, or a property of a built-in section record in
/// <c>DslUnlearn.Specs</c> (<c>FinetuneSpec.Lr</c>: YAML <c>finetune.lr</c>). Everything is optional for options; a
/// section key needs <see cref="Help"/> and, unless YAML must set it, <see cref="Default"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
public sealed class OptionAttribute : Attribute
{
    /// <summary>YAML key when it is not the snake_case of the property name.</summary>
    public string? Key { get; set; }
    /// <summary>Smallest allowed value (numbers); NaN = unbounded.</summary>
    public double Min { get; set; } = double.NaN;
    /// <summary>Largest allowed value (numbers); NaN = unbounded.</summary>
    public double Max { get; set; } = double.NaN;
    /// <summary>Whether <see cref="Min"/> itself is excluded (lr &gt; 0).</summary>
    public bool MinExclusive { get; set; }
    /// <summary>Whether a list / sweep block may be given for this key. Component options: unless set false. Section keys:
    /// only where set true (the generator reads whether it is written; an experiment-level sweep varies only these).</summary>
    public bool Sweepable { get; set; } = true;
    /// <summary>Whether YAML must set it (no sensible default).</summary>
    public bool Required { get; set; }
    /// <summary>Step counts (<see cref="Specs.Vocabulary.StepCount"/>) only: whether YAML may give a percentage of the run's total steps ("10%"); false for the length of the run itself.</summary>
    public bool AllowPercent { get; set; } = true;
    /// <summary>Short help when the property has no XML doc comment (section keys: always this).</summary>
    public string? Help { get; set; }
    /// <summary>Section keys only (their records have no initializers): the default, written as YAML and bound like user input.</summary>
    public string? Default { get; set; }
    /// <summary>Other spellings people use (learning_rate for lr); they only feed "did you mean".</summary>
    public string[] Aliases { get; set; } = [];
    /// <summary>Section keys only: the value is a name from a fixed set, which messages call this ("preset", "dtype"); the
    /// names are the <see cref="ChoiceAttribute"/>s on the members of the property's enum, or on the property for a string.</summary>
    public string? Names { get; set; }
    /// <summary>Section keys only: the value is a path relative to the spec file, emitted relative to the repository root.</summary>
    public bool Path { get; set; }
    /// <summary>Section keys only: keys of the same section that may not be written together with this one.</summary>
    public string[] Excludes { get; set; } = [];
    /// <summary>Section keys only: defaults to the value of this other key of the section (kv_heads = heads).</summary>
    public string? DefaultFrom { get; set; }
    /// <summary>Section keys only: the key applies to these values of the section's discriminator only (data.path: tofu).</summary>
    public string[] OnlyFor { get; set; } = [];
    /// <summary>Section keys only: the value (YAML) emitted where <see cref="OnlyFor"/> excludes the key.</summary>
    public string? Inapplicable { get; set; }
    /// <summary>Section keys only: a regular expression a string must match (the experiment name), and <see cref="PatternHelp"/> the rule in words.</summary>
    public string? Pattern { get; set; }
    /// <summary>Section keys only: <see cref="Pattern"/> in words, for the message.</summary>
    public string? PatternHelp { get; set; }
    /// <summary>Section keys only: not written in YAML; the generator sets the spec file's path (relative to the project).</summary>
    public bool SpecFile { get; set; }
    /// <summary>Section keys only, lists (<c>ImmutableArray</c>): at least one item.</summary>
    public bool NonEmpty { get; set; }
    /// <summary>Section keys only, lists: no item twice.</summary>
    public bool Distinct { get; set; }
    /// <summary>Section keys only: YAML writes a name (a string) that the binder resolves into the property's type
    /// (<c>CalibrationSpec.RetainMetric</c>, a metric name; for a list, each item).</summary>
    public bool Text { get; set; }
    /// <summary>Section keys only: a list of component items of this kind ("method", "metric", "attack"), or one
    /// component mapping ("calibrator"); the items' fixed keys are the <c>[Option]</c>s and <c>[ItemKey]</c>s of the element record.</summary>
    public string? Items { get; set; }
    /// <summary>Section keys only: the key whose value picks the rest, one per record: an item's component name (<c>method</c>,
    /// <c>metric</c>, <c>attack</c>, <c>calibrator</c>), or the value that <see cref="OnlyFor"/> names (<c>data.source</c>).</summary>
    public bool Discriminator { get; set; }
    /// <summary>
    /// Section keys and options: the value (YAML: "1", "false", "float32", "~") at which the key is left out of every stage
    /// key that holds it, for a key added after stage keys existed whose value then is the behaviour from before it: the
    /// keys of specs that do not set it stay as they were (Engine.KeyNeutral; the static plan and the runtime both read this).
    /// </summary>
    public string? KeyNeutral { get; set; }
}

/// <summary>
/// One name of a built-in name set (<see cref="OptionAttribute.Names"/>), declared where its value lives: on a member of
/// the enum a section key takes (<c>DeviceKind.Cuda</c>), or, for a key that holds a string, once per allowed value on
/// the property (<c>ModelSpec.Preset</c>). YAML writes <see cref="Name"/>; the generator builds the key's name set from
/// these (its messages, "did you mean", the reference), in declaration order, so a new member is one edit.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false, AllowMultiple = true)]
public sealed class ChoiceAttribute(string name) : Attribute
{
    /// <summary>The YAML name ("auto", "tiny-llama").</summary>
    public string Name { get; } = name;
    public string? Help { get; set; }
    /// <summary>Other spellings people use ("gpu" for cuda); they only feed "did you mean".</summary>
    public string[] Aliases { get; set; } = [];
}

/// <summary>
/// On a section record: a key with no property, consumed by the spec composer before binding (<c>extends</c>, <c>vars</c>,
/// <c>fragments</c>, the experiment-level <c>sweep</c>), listed after the record's properties in declaration order.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class CompositionKeyAttribute(string key) : Attribute
{
    public string Key { get; } = key;
    public string? Help { get; set; }
    public string[] Aliases { get; set; } = [];
}

/// <summary>
/// On a property whose type is a section record used a second time (<c>TestbedSpec.Pretrain</c>, a
/// <see cref="Specs.Vocabulary.FinetuneSpec"/>): one key of that record that YAML may write here, with this use's default, help and
/// aliases where they differ from the record's <c>[Option]</c> (null = the record's). Keys not listed are not written here
/// and keep their C# default. The range stays the record's, so it is checked once at build time and at run time.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true, AllowMultiple = true)]
public sealed class NestedKeyAttribute(string key) : Attribute
{
    /// <summary>The YAML key of the nested record (snake_case).</summary>
    public string Key { get; } = key;
    /// <summary>This use's default (YAML), or null for the record's.</summary>
    public string? Default { get; set; }
    /// <summary>This use's help, or null for the record's.</summary>
    public string? Help { get; set; }
    /// <summary>This use's other spellings, or null for the record's.</summary>
    public string[]? Aliases { get; set; }
}

/// <summary>
/// On a component item record: a fixed key with no property of its own (<c>attack</c> of an <c>attacks</c> item, which
/// the binder turns into a one-step <c>Chain</c>), a string, placed before the key <see cref="Before"/> (null = last).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = true)]
public sealed class ItemKeyAttribute(string key) : Attribute
{
    public string Key { get; } = key;
    public string? Help { get; set; }
    public string[] Aliases { get; set; } = [];
    public string? Before { get; set; }
    /// <summary>The key picks the item's component (<see cref="OptionAttribute.Discriminator"/>): <c>attack</c> of an <c>attacks</c> item.</summary>
    public bool Discriminator { get; set; }
    /// <summary>The item's <c>sweep:</c> block, a mapping (option -> list of values, <c>zip: [a, b]</c>) instead of a string: the
    /// records whose items may sweep their component's options (<c>UnlearnSpec</c>, <c>AttackSpec</c>) declare it.</summary>
    public bool Sweep { get; set; }
}
