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
public sealed class MetricAttribute(string name) : ComponentAttribute(name);

/// <summary>A red-teaming attack (implements <see cref="Attacks.IAttack"/>), e.g. <c>[Attack("relearn")]</c>.</summary>
public sealed class AttackAttribute(string name) : ComponentAttribute(name);

/// <summary>A calibration procedure (implements <see cref="Calibration.ICalibrator"/>), e.g. <c>[Calibrator("model_mixing")]</c>.</summary>
public sealed class CalibratorAttribute(string name) : ComponentAttribute(name);

/// <summary>Validation and naming of one option property; everything is optional.</summary>
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
    /// <summary>Whether a list / sweep block may be given for this key.</summary>
    public bool Sweepable { get; set; } = true;
    /// <summary>Whether YAML must set it (no sensible default).</summary>
    public bool Required { get; set; }
    /// <summary>Step counts (<see cref="Specs.StepCount"/>) only: whether YAML may give a percentage of the run's total steps ("10%"); false for the length of the run itself.</summary>
    public bool AllowPercent { get; set; } = true;
    /// <summary>Short help when the property has no XML doc comment.</summary>
    public string? Help { get; set; }
}
