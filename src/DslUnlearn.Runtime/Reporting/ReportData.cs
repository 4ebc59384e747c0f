namespace DslUnlearn.Reporting;

/// <summary>
/// Everything the tables and plots are drawn from. <see cref="Runs"/> holds one record per seed of the same
/// experiment (mean +- std columns appear when there are several); the other lists are filled by the stages
/// that produce them (calibration, attacks, unlearning trajectories) and may be empty.
/// </summary>
public sealed record ReportInput
{
    public required IReadOnlyList<RunRecord> Runs { get; init; }
    public IReadOnlyList<TrajectoryPoint> Trajectories { get; init; } = [];
    public IReadOnlyList<TradeoffPoint> Tradeoff { get; init; } = [];
    public IReadOnlyList<CalibratedValue> Calibrated { get; init; } = [];
    public IReadOnlyList<RobustnessPoint> Robustness { get; init; } = [];
    /// <summary>Attack pipelines that should not change what a model knows (jail-breaking, noising, probing): their robustness rows report |slope - 1|.</summary>
    public IReadOnlyDictionary<string, bool> AttackPreservesKnowledge { get; init; } = new Dictionary<string, bool>();
    /// <summary>Each attack pipeline's steps (attack component names, in order): a pipeline of one 'quantize' or one 'relearn' step gets OpenUnlearning's Q or R score.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AttackChains { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    /// <summary>The unlearned models (the meta-evaluation scores average over these; the target and the oracle are not among them). Empty = every model of <see cref="Robustness"/>.</summary>
    public IReadOnlyList<string> UnlearnedModels { get; init; } = [];
    /// <summary>The oracle (retain-only) model's before/after points, kept out of the fits and scatters; the "retain model" of the relearning score R. Empty = no oracle.</summary>
    public IReadOnlyList<RobustnessPoint> OraclePoints { get; init; } = [];
    /// <summary>OpenUnlearning's faithfulness pools: each pool model's value of each metric (forget split). Empty = no pools (meta_eval.faithfulness unset).</summary>
    public IReadOnlyList<PoolValue> FaithfulnessPools { get; init; } = [];

    /// <summary>Whether lower values of <paramref name="metric"/> on <paramref name="split"/> mean more knowledge, as the run's
    /// spec configured the metric (<see cref="Specs.SpecMetricDirection"/>); by the name's attribute when there is no run.</summary>
    public bool LowerIsBetter(string metric, string split)
        => Runs.Count > 0 ? Specs.SpecMetricDirection.LowerIsBetter(Runs[0].Spec, metric, split) : Metrics.MetricDirection.LowerIsBetter(metric, split);
}

/// <summary>
/// A faithfulness pool model's value of a metric: the target (<paramref name="Positive"/>: holds the forget knowledge) or the
/// oracle (never saw it) trained with <paramref name="Seed"/>.
/// </summary>
public sealed record PoolValue(string Metric, string Split, int Seed, bool Positive, double Value)
{
    /// <summary>The pool member's model size label (meta_eval.faithfulness.sizes), or null for the spec's own size.</summary>
    public string? Size { get; init; }
}

/// <summary>ES of one unlearning run after <paramref name="Step"/> optimizer steps (step 0 = the starting model).</summary>
public sealed record TrajectoryPoint(string Model, int Seed, int Step, double ForgetEs, double RetainEs);

/// <summary>
/// One point of the calibration trade-off curve: the model theta(alpha) = (1 - alpha) theta_ref + alpha
/// theta_unlearned of method <paramref name="Model"/>, with its forget and retain ES.
/// </summary>
public sealed record TradeoffPoint(string Model, int Seed, double Alpha, double ForgetEs, double RetainEs);

/// <summary>A metric of a calibrated model (at the mixing weight <paramref name="Alpha"/> calibration chose).</summary>
/// <param name="Metric">Metric name as in YAML (es_exact, em, ...).</param>
/// <param name="Split">Split name as in YAML (forget, retain, ...).</param>
public sealed record CalibratedValue(string Model, int Seed, double Alpha, string Metric, string Split, double Value)
{
    /// <summary>The metric's per-sample values at alpha (for the confidence interval); empty when calibration keeps only the aggregate.</summary>
    public IReadOnlyList<double> Samples { get; init; } = [];
}

/// <summary>
/// One unlearned model's value of a metric before (x) and after (y) an attack: the points of the paper's
/// robustness scatter (one plot per metric, attack and split).
/// </summary>
public sealed record RobustnessPoint(string Metric, string Attack, string Split, string Model, double Before, double After);
