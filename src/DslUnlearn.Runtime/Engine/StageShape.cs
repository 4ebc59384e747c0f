// The shape of a run's stage graph, in one place for the runtime and the source generator: this file is compiled
// into DslUnlearn.Runtime (namespace DslUnlearn.Engine) and, linked, into the netstandard2.0 generator (namespace
// DslUnlearn.Generators.Dsl), so it uses only C# that both accept. The runtime builds its StageGraph from
// StageShape.Of(...); the generator emits the same stages as the static plan (docs/engine-and-artifacts.md,
// "The stage plan"). Change the graph here and both follow.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

#if DSLUNLEARN_GENERATOR
namespace DslUnlearn.Generators.Dsl
#else
namespace DslUnlearn.Engine
#endif
{
    /// <summary>The kinds of stage a run is made of; the kind enters every stage key.</summary>
    public static class StageKinds
    {
        public const string Init = "init";
        public const string Finetune = "finetune";
        public const string Pretrain = "pretrain";
        public const string Unlearn = "unlearn";
        public const string Evaluate = "evaluate";
        public const string Attack = "attack";
        public const string Calibrate = "calibrate";
        public const string Report = "report";
    }

    /// <summary>Every stage id of a run, in one place (ids name stages in the manifest, dry-runs, logs and the static plan).</summary>
    public static class StageIds
    {
        public const string Init = "init/model";
        public const string PretrainTarget = "pretrain/target";
        public const string PretrainOracle = "pretrain/oracle";
        public const string Target = "finetune/target";
        public const string Oracle = "finetune/oracle";
        public const string Report = "report";

        /// <summary>The oracle's name in tables, results.json and stage ids.</summary>
        public const string OracleName = "oracle";

        public static string Unlearn(string model) => "unlearn/" + model;
        public static string Evaluate(string model) => "evaluate/" + model;
        public static string Attack(string model, string attack) => "attack/" + model + "/" + attack;
        public static string Calibrate(string model) => "calibrate/" + model;
    }

    /// <summary>What decides the graph's shape: nothing else in a spec adds, removes or rewires a stage.</summary>
    public sealed class StageShapeInput
    {
        public StageShapeInput(bool testbed, bool oracle, IReadOnlyList<string> unlearn, IReadOnlyList<string> attacks, bool calibration,
            int seed = 0, IReadOnlyList<int>? poolSeeds = null, IReadOnlyList<string>? poolSizes = null)
        {
            Testbed = testbed;
            Oracle = oracle;
            Unlearn = unlearn;
            Attacks = attacks;
            Calibration = calibration;
            Seed = seed;
            PoolSeeds = poolSeeds ?? new int[0];
            PoolSizes = poolSizes ?? new string[0];
        }

        /// <summary>data.source is biographies: pretraining stages come first.</summary>
        public bool Testbed { get; }
        /// <summary>finetune.oracle: an oracle model, the reference of every evaluation.</summary>
        public bool Oracle { get; }
        /// <summary>The unlearn entries' names, in spec order.</summary>
        public IReadOnlyList<string> Unlearn { get; }
        /// <summary>The attack pipelines' names, in spec order.</summary>
        public IReadOnlyList<string> Attacks { get; }
        /// <summary>The spec has a calibration section.</summary>
        public bool Calibration { get; }
        /// <summary>The spec's seed (a faithfulness pool member with this seed is the spec's own chain).</summary>
        public int Seed { get; }
        /// <summary>
        /// meta_eval.faithfulness.seeds when some metric is measured on forget (the pools are evaluated there), else empty:
        /// per seed, a target (a model that knows the forget set) and an oracle (one that never saw it).
        /// </summary>
        public IReadOnlyList<int> PoolSeeds { get; }
        /// <summary>
        /// The labels (<see cref="StageShape.SizeLabel"/>) of meta_eval.faithfulness.sizes, the pool model sizes besides the spec's:
        /// per seed and size one more target and oracle. Empty without pools.
        /// </summary>
        public IReadOnlyList<string> PoolSizes { get; }
    }

    /// <summary>A faithfulness pool member: its seed, whether it knows the forget set (a target) or never saw it (an oracle), and the stage that evaluates it.</summary>
    public sealed class PoolMember
    {
        public PoolMember(int seed, bool knows, string evaluation, string? size = null)
        {
            Seed = seed;
            Knows = knows;
            Evaluation = evaluation;
            Size = size;
        }

        public int Seed { get; }
        /// <summary>The member's size label, or null for the spec's own model size.</summary>
        public string? Size { get; }
        public bool Knows { get; }
        public string Evaluation { get; }
    }

    /// <summary>One stage of the shape: id, kind, inputs (in the order a stage reads them) and what it is about.</summary>
    public sealed class ShapedStage
    {
        public ShapedStage(string id, string kind, string[] inputs, string? model = null, string? attack = null, int? seed = null, string? keyId = null, bool pool = false, string? size = null)
        {
            Size = size;
            Id = id;
            Kind = kind;
            Inputs = inputs;
            Model = model;
            Attack = attack;
            Seed = seed;
            KeyId = keyId;
            Pool = pool;
        }

        public string Id { get; }
        public string Kind { get; }
        public string[] Inputs { get; }
        /// <summary>The model the stage trains, evaluates, attacks or calibrates ("target", "oracle", an unlearn entry's name, "untrained").</summary>
        public string? Model { get; }
        /// <summary>The attack pipeline's name (attack stages).</summary>
        public string? Attack { get; }
        /// <summary>The stage whose model this stage reads first (the first input), or null for init/model and report.</summary>
        public string? ModelStage => Kind == StageKinds.Init || Kind == StageKinds.Report ? null : Inputs[0];
        /// <summary>Whether the stage reads the oracle as its reference model (besides its own model input).</summary>
        public bool ReadsOracle => ModelStage != StageIds.Oracle && Array.IndexOf(Inputs, StageIds.Oracle) > 0;
        /// <summary>A faithfulness pool member's seed, when it is not the spec's: it enters the key and seeds the stage's torch RNG.</summary>
        public int? Seed { get; }
        /// <summary>The id the stage has in the spec run with <see cref="Seed"/> (pool member <c>finetune/target@seed7</c> is that spec's
        /// <c>finetune/target</c>): key documents name inputs so, and the two share one artifact. Null = <see cref="Id"/>.</summary>
        public string? KeyId { get; }
        /// <summary>The id that decides what the stage does (its own id, or the spec's id it stands for in a pool).</summary>
        public string Role => KeyId ?? Id;
        /// <summary>A faithfulness pool's evaluation: the spec's metrics on the forget split only.</summary>
        public bool Pool { get; }
        /// <summary>A faithfulness pool member's model size label (<see cref="StageShape.SizeLabel"/>), when it is not the spec's: the stage
        /// inits, trains or loads that size's model, keyed as the spec with that <c>model:</c> override keys its own.</summary>
        public string? Size { get; }
    }

    /// <summary>
    /// The stage graph of a run, in execution order (every input before the stages that read it):
    /// <code>
    ///   init/model ─► [pretrain/target, pretrain/oracle] ─► finetune/target [, finetune/oracle]
    ///   evaluate/untrained, evaluate/target [, evaluate/oracle]; per unlearn entry: unlearn/&lt;name&gt; ─► evaluate/&lt;name&gt;
    ///   attack/&lt;model&gt;/&lt;attack&gt; (target, oracle, every unlearned model × every attack pipeline); calibrate/&lt;name&gt;; report
    /// </code>
    /// With an oracle, every evaluation, attack and calibration reads it as its reference model.
    /// </summary>
    public static class StageShape
    {
        public static IReadOnlyList<ShapedStage> Of(StageShapeInput s) => Build(s, null);

        /// <summary>The faithfulness pools' members: per pool seed, the evaluation stage of the model that knows the forget set
        /// (the target) and of the one that never saw it (the oracle), in <see cref="StageShapeInput.PoolSeeds"/> order.</summary>
        public static IReadOnlyList<PoolMember> PoolMembers(StageShapeInput s)
        {
            var members = new List<PoolMember>();
            Build(s, members);
            return members;
        }

        private static IReadOnlyList<ShapedStage> Build(StageShapeInput s, List<PoolMember>? members)
        {
            var stages = new List<ShapedStage>();
            string[] WithOracle(string modelStage)
                => s.Oracle && modelStage != StageIds.Oracle ? new[] { modelStage, StageIds.Oracle } : new[] { modelStage };

            stages.Add(new ShapedStage(StageIds.Init, StageKinds.Init, new string[0]));
            if (s.Testbed)
            {
                stages.Add(new ShapedStage(StageIds.PretrainTarget, StageKinds.Pretrain, new[] { StageIds.Init }, "target"));
                if (s.Oracle) stages.Add(new ShapedStage(StageIds.PretrainOracle, StageKinds.Pretrain, new[] { StageIds.Init }, StageIds.OracleName));
            }

            stages.Add(new ShapedStage(StageIds.Target, StageKinds.Finetune, new[] { s.Testbed ? StageIds.PretrainTarget : StageIds.Init }, "target"));
            if (s.Oracle) stages.Add(new ShapedStage(StageIds.Oracle, StageKinds.Finetune, new[] { s.Testbed ? StageIds.PretrainOracle : StageIds.Init }, StageIds.OracleName));
            stages.Add(new ShapedStage(StageIds.Evaluate("untrained"), StageKinds.Evaluate, WithOracle(StageIds.Init), "untrained"));
            stages.Add(new ShapedStage(StageIds.Evaluate("target"), StageKinds.Evaluate, WithOracle(StageIds.Target), "target"));
            if (s.Oracle) stages.Add(new ShapedStage(StageIds.Evaluate(StageIds.OracleName), StageKinds.Evaluate, WithOracle(StageIds.Oracle), StageIds.OracleName));
            foreach (var u in s.Unlearn)
            {
                stages.Add(new ShapedStage(StageIds.Unlearn(u), StageKinds.Unlearn, new[] { StageIds.Target }, u));
                stages.Add(new ShapedStage(StageIds.Evaluate(u), StageKinds.Evaluate, WithOracle(StageIds.Unlearn(u)), u));
            }

            var report = new List<string> { StageIds.Target, StageIds.Evaluate("untrained"), StageIds.Evaluate("target") };
            if (s.Oracle) report.Add(StageIds.Evaluate(StageIds.OracleName));
            foreach (var u in s.Unlearn) report.AddRange(new[] { StageIds.Unlearn(u), StageIds.Evaluate(u) });

            var attacked = new List<KeyValuePair<string, string>> { new KeyValuePair<string, string>("target", StageIds.Target) };
            if (s.Oracle) attacked.Add(new KeyValuePair<string, string>(StageIds.OracleName, StageIds.Oracle));
            attacked.AddRange(s.Unlearn.Select(u => new KeyValuePair<string, string>(u, StageIds.Unlearn(u))));
            if (s.Attacks.Count > 0)
                foreach (var model in attacked)
                    foreach (var a in s.Attacks)
                    {
                        stages.Add(new ShapedStage(StageIds.Attack(model.Key, a), StageKinds.Attack, WithOracle(model.Value), model.Key, a));
                        report.Add(StageIds.Attack(model.Key, a));
                    }

            if (s.Calibration)
                foreach (var u in s.Unlearn)
                {
                    var inputs = new List<string> { StageIds.Target, StageIds.Unlearn(u) };
                    if (s.Oracle) inputs.Add(StageIds.Oracle);
                    stages.Add(new ShapedStage(StageIds.Calibrate(u), StageKinds.Calibrate, inputs.ToArray(), u));
                    report.Add(StageIds.Calibrate(u));
                }

            AddPools(s, stages, report, WithOracle, members);
            stages.Add(new ShapedStage(StageIds.Report, StageKinds.Report, report.ToArray()));
            return stages;
        }

        /// <summary>
        /// OpenUnlearning's faithfulness pools (docs/robustness.md, "Faithfulness"): per pool seed, the chain the spec runs for
        /// its own target and oracle, trained with that seed (<c>&lt;id&gt;@seed&lt;s&gt;</c>, keyed as the spec with that seed
        /// keys them), and an evaluation of both on forget. The spec's own seed reuses the spec's own stages. Then the same per
        /// pool size and seed (<c>&lt;id&gt;@seed&lt;s&gt;-&lt;size&gt;</c>, keyed as the spec with that seed and that
        /// <c>model:</c> override keys them; the init key carries the size's config).
        /// </summary>
        private static void AddPools(StageShapeInput s, List<ShapedStage> stages, List<string> report, Func<string, string[]> withOracle, List<PoolMember>? members)
        {
            var ids = new HashSet<string>(stages.Select(x => x.Id));
            var sizes = new List<string?> { null };
            sizes.AddRange(s.PoolSizes);
            foreach (var (size, seed) in sizes.SelectMany(z => s.PoolSeeds.Select(x => (z, x))))
            {
                string suffix = "@seed" + seed + (size is null ? "" : "-" + size);
                string Id(string own) => size is null && seed == s.Seed && ids.Contains(own) ? own : own + suffix;
                void Add(ShapedStage stage)
                {
                    if (ids.Add(stage.Id)) stages.Add(stage);
                }

                string init = Id(StageIds.Init), targetBase = init, oracleBase = init;
                Add(new ShapedStage(init, StageKinds.Init, new string[0], seed: seed, keyId: StageIds.Init, size: size));
                if (s.Testbed)
                {
                    targetBase = Id(StageIds.PretrainTarget);
                    oracleBase = Id(StageIds.PretrainOracle);
                    Add(new ShapedStage(targetBase, StageKinds.Pretrain, new[] { init }, "target", seed: seed, keyId: StageIds.PretrainTarget, size: size));
                    Add(new ShapedStage(oracleBase, StageKinds.Pretrain, new[] { init }, StageIds.OracleName, seed: seed, keyId: StageIds.PretrainOracle, size: size));
                }

                string target = Id(StageIds.Target), oracle = Id(StageIds.Oracle);
                Add(new ShapedStage(target, StageKinds.Finetune, new[] { targetBase }, "target", seed: seed, keyId: StageIds.Target, size: size));
                Add(new ShapedStage(oracle, StageKinds.Finetune, new[] { oracleBase }, StageIds.OracleName, seed: seed, keyId: StageIds.Oracle, size: size));
                foreach (var (model, name, own) in new[] { (target, "target", StageIds.Target), (oracle, StageIds.OracleName, StageIds.Oracle) })
                {
                    string evaluation = model == own && ids.Contains(StageIds.Evaluate(name)) ? StageIds.Evaluate(name) : StageIds.Evaluate(name + suffix);
                    Add(new ShapedStage(evaluation, StageKinds.Evaluate, withOracle(model), name, pool: true, size: size));
                    if (!report.Contains(evaluation)) report.Add(evaluation);
                    if (members != null) members.Add(new PoolMember(seed, model == target, evaluation, size));
                }
            }
        }

        /// <summary>
        /// A faithfulness pool size's label in stage ids (<c>finetune/target@seed7-h64-l2</c>): the overrides it sets of
        /// hidden_size (h), layers (l) and intermediate_size (i), in that order; "" when it sets none.
        /// </summary>
        public static string SizeLabel(int? hiddenSize, int? layers, int? intermediateSize)
        {
            var parts = new List<string>();
            if (hiddenSize.HasValue) parts.Add("h" + hiddenSize.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (layers.HasValue) parts.Add("l" + layers.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (intermediateSize.HasValue) parts.Add("i" + intermediateSize.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return string.Join("-", parts);
        }

        /// <summary>
        /// The options that enter a stage's key, by top-level name: where each comes from in the spec, what of it is
        /// left out, and what only the run can know. The runtime's options must have exactly these names (the
        /// dry-run agreement test checks it for every spec in experiments/). Besides the drops written here (what a part
        /// never holds), each part leaves out the <paramref name="neutral"/> keys it holds at their neutral value
        /// (<see cref="KeyNeutral"/>: the records' <c>[Option(KeyNeutral = ...)]</c>, which the runtime drops too).
        /// </summary>
        public static IReadOnlyList<KeyPart> KeyParts(ShapedStage stage, IReadOnlyList<KeyNeutral> neutral)
            => Parts(stage).Select(p => p.WithNeutral(neutral)).ToArray();

        private static IReadOnlyList<KeyPart> Parts(ShapedStage stage)
        {
            var device = KeyPart.FromSpec("device", "Device", runTimeWhen: "auto", why: "`device: auto` resolves to the machine's device");
            var data = new KeyPart("data", new[] { new KeyFill("data", "Data"), new KeyFill("prompt", "Prompt"), new KeyFill("testbed", "Testbed") }, shared: true,
                drops: new[] { "data.retain_authors if null" }, // the data node's own: the resolved spec (report) keeps a null retain_authors
                runTime: new[]
                {
                    "data.splits: the split sizes, counted from the loaded data", "data.holdout_sha256: the holdout file's SHA-256", "tokenizer: the tokenizer's type and vocabulary size",
                    "testbed." + PretrainDefaults[0], "testbed." + PretrainDefaults[1],
                });
            var evaluation = new[]
            {
                new KeyPart("metrics", new[] { new KeyFill("", "Metrics") }, shared: true), data, device,
                KeyPart.Engine("batch_size"), KeyPart.Engine("eval_format"), KeyPart.Versions("metric_versions"),
            };
            switch (stage.Kind)
            {
                case StageKinds.Init:
                    return new[]
                    {
                        KeyPart.FromSpec("preset", "Model.Preset"),
                        new KeyPart("model", new KeyFill[0], runTime: new[] { ": the model's config, or a checkpoint's files and their SHA-256" }),
                        new KeyPart("tokenizer", new KeyFill[0], runTime: new[] { ": the tokenizer's type and vocabulary size" }),
                        device,
                        new KeyPart("dtype", new[] { new KeyFill("", "Model.Dtype") }),
                    };
                case StageKinds.Pretrain:
                    return new[]
                    {
                        new KeyPart("pretrain", new[] { new KeyFill("", "Testbed.Pretrain") }, runTime: PretrainDefaults.Select(d => d.Substring("pretrain.".Length)).ToArray()),
                        data, device, KeyPart.Engine("authors"),
                    };
                case StageKinds.Finetune:
                    var finetune = new KeyPart("finetune", new[] { new KeyFill("", "Finetune") }, drops: new[] { "oracle", "gradient_checkpointing" });
                    return stage.Role == StageIds.Oracle ? new[] { finetune, data, device, KeyPart.Engine("rows") } : new[] { finetune, data, device };
                case StageKinds.Evaluate when stage.Pool:
                    return new[] { new KeyPart("metrics", new KeyFill[0], runTime: new[] { ": the spec's metrics, each on the forget split only (faithfulness pools)" }) }
                        .Concat(evaluation.Skip(1)).ToArray();
                case StageKinds.Evaluate:
                    return evaluation;
                case StageKinds.Unlearn:
                    return new[]
                    {
                        new KeyPart("method", new[] { new KeyFill("", "Unlearn[@model].Method") }, drops: new[] { "options.name", "options.gradient_checkpointing" }),
                        data, device, KeyPart.Engine("seed_offset"),
                        new KeyPart("trajectory_every", new KeyFill[0], runTime: new[] { ": the method's step count over the trajectory points, from the forget split's size" }),
                        KeyPart.Versions("method_versions"),
                    };
                case StageKinds.Attack:
                    return evaluation.Concat(new[]
                    {
                        new KeyPart("attack", new[] { new KeyFill("", "Attacks[@attack].Chain[*].Attack"), new KeyFill("[*].name", "Attacks[@attack].Chain[*].Name") }),
                        KeyPart.Engine("seed_offset"), KeyPart.FromSpec("finetune_lr", "Finetune.Lr"), KeyPart.Versions("attack_versions"),
                    }).ToArray();
                case StageKinds.Calibrate:
                    return new[]
                    {
                        new KeyPart("calibrator", new[] { new KeyFill("", "Calibration.Calibrator"), new KeyFill("name", "Calibration.Name") }),
                        KeyPart.FromSpec("retain_metric", "Calibration.RetainMetric.Name"),
                        KeyPart.FromSpec("forget_metrics", "Calibration.ForgetMetrics[*].Name"),
                        new KeyPart("retain_split", new[] { new KeyFill("", "Calibration.RetainSplit") }, drops: new[] { " if retain" }),
                        data, device, KeyPart.Engine("batch_size"), KeyPart.Versions("calibrator_versions"), KeyPart.Versions("metric_versions"),
                    };
                case StageKinds.Report:
                    return new[]
                    {
                        new KeyPart("spec", new[] { new KeyFill("", "") }, shared: true,
                            drops: new[] { "report.out", "cell if null" },
                            runTime: new[] { "report.out: \"\" (the output folder is not part of any key)", "testbed." + PretrainDefaults[0], "testbed." + PretrainDefaults[1] }),
                        KeyPart.Engine("results_format"), KeyPart.Engine("report_format"),
                        new KeyPart("plots", new KeyFill[0], runTime: new[] { ": whether a font is installed to draw plots" }),
                    };
                default:
                    throw new ArgumentException("unknown stage kind " + stage.Kind, nameof(stage));
            }
        }

        /// <summary>
        /// FinetuneSpec properties that testbed.pretrain has no YAML key for: the generated spec leaves them at their C#
        /// defaults, which only the compiled record knows, and they are part of the pretraining keys.
        /// </summary>
        private static readonly string[] PretrainDefaults =
        {
            "pretrain.oracle: FinetuneSpec's default (testbed.pretrain has no such key)",
            "pretrain.gradient_checkpointing: FinetuneSpec's default (testbed.pretrain has no such key)",
        };

        /// <summary>snake_case of a C# name, as keys and YAML write it (ForgetAuthors -> forget_authors, MaxSeqLen -> max_seq_len).</summary>
        public static string SnakeCase(string name)
        {
            var sb = new StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (char.IsUpper(c))
                {
                    if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])) && char.IsUpper(name[i - 1]))) sb.Append('_');
                    sb.Append(char.ToLowerInvariant(c));
                }
                else sb.Append(c);
            }

            return sb.ToString();
        }
    }

    /// <summary>
    /// Part of a key option taken from the spec: the value at <see cref="From"/> (C# property path) goes to <see cref="At"/>
    /// within the option ("" = the option itself; "[*].name" = the name of each element, zipped with a list).
    /// </summary>
    public sealed class KeyFill
    {
        public KeyFill(string at, string from)
        {
            At = at;
            From = from;
        }

        public string At { get; }
        /// <summary>
        /// A path of spec properties: "Finetune.Lr"; "Unlearn[@model]" picks the entry named as the stage's model,
        /// "Attacks[@attack]" the stage's attack pipeline; "ForgetMetrics[*].Name" every entry's Name; "" the whole spec.
        /// </summary>
        public string From { get; }
    }

    /// <summary>One top-level option of a stage key.</summary>
    public sealed class KeyPart
    {
        public KeyPart(string name, KeyFill[] fills, string[]? drops = null, string[]? runTime = null, bool shared = false, bool optional = false, string? runTimeWhen = null)
        {
            Name = name;
            Fills = fills;
            Drops = drops ?? new string[0];
            RunTime = runTime ?? new string[0];
            Shared = shared;
            Optional = optional;
            RunTimeWhen = runTimeWhen;
        }

        public string Name { get; }
        public KeyFill[] Fills { get; }
        /// <summary>Sub-paths left out of the key: "oracle" always, "testbed if null", " if float32" (the whole option, when it is float32).</summary>
        public string[] Drops { get; }
        /// <summary>"sub.path: why" for what only the run knows (": why" is the whole option).</summary>
        public string[] RunTime { get; }
        /// <summary>Same value in many stages of a run: the plan lists it once and the stages refer to it.</summary>
        public bool Shared { get; }
        /// <summary>Present only when the run has something to put in it (component versions above 1).</summary>
        public bool Optional { get; }
        /// <summary>The spec value (snake_case) for which the whole option is resolved at run time (device: auto).</summary>
        public string? RunTimeWhen { get; }

        /// <summary>
        /// This part with the drops of the key-neutral keys it holds: for each fill, the keys at or below its spec path
        /// (<see cref="KeyNeutral.JsonPath"/> of <see cref="KeyFill.From"/>), relative to the part ("length_groups if 1"
        /// under <c>Finetune</c>, " if float32" for a part that is <c>Model.Dtype</c>).
        /// </summary>
        public KeyPart WithNeutral(IReadOnlyList<KeyNeutral> neutral)
        {
            var drops = new List<string>(Drops);
            foreach (var fill in Fills)
            {
                var from = KeyNeutral.JsonPath(fill.From);
                foreach (var n in neutral)
                {
                    string? below = from.Length == 0 ? n.Path : n.Path == from ? "" : n.Path.StartsWith(from + ".", StringComparison.Ordinal) ? n.Path.Substring(from.Length + 1) : null;
                    if (below is null) continue;
                    var at = fill.At.Length == 0 ? below : below.Length == 0 ? fill.At : fill.At + "." + below;
                    drops.Add(at + " if " + n.Json);
                }
            }

            return new KeyPart(Name, Fills, drops.ToArray(), RunTime, Shared, Optional, RunTimeWhen);
        }

        public static KeyPart FromSpec(string name, string from, string? runTimeWhen = null, string? why = null)
            => new KeyPart(name, new[] { new KeyFill("", from) }, runTime: runTimeWhen is null ? null : new[] { ": " + why }, runTimeWhen: runTimeWhen);

        /// <summary>A constant of the engine (a file format, a batch size, a seed offset): part of the key, set by the runtime's code.</summary>
        public static KeyPart Engine(string name) => new KeyPart(name, new KeyFill[0], runTime: new[] { ": an engine constant" });

        /// <summary>Component code versions above 1 (ComponentVersions), read from the compiled components.</summary>
        public static KeyPart Versions(string name) => new KeyPart(name, new KeyFill[0], runTime: new[] { ": component versions above 1, from the compiled components" }, optional: true);
    }

    /// <summary>
    /// A key-neutral key: one added after stage keys existed, whose neutral value (<see cref="Value"/>) is the behaviour from
    /// before it (length_groups 1 = one padded batch, model.dtype float32, gradient_checkpointing false, testbed ~). At that
    /// value it is left out of every stage key that holds it, so the keys of specs that do not set it stay as they were.
    /// Declared once, as <c>[Option(KeyNeutral = "1")]</c> on the key's property; the generator reads the records into its plan's
    /// drops (<see cref="StageShape.KeyParts"/>), the runtime reads the same attributes into its JSON drop
    /// (<c>KeyNeutralDefaults</c>), and a test holds the two lists equal. A key is neutral where YAML writes it: in a nested
    /// use with <c>[NestedKey]</c>s (<c>testbed.pretrain</c>), only the listed keys are.
    /// </summary>
    public sealed class KeyNeutral : IEquatable<KeyNeutral>
    {
        public KeyNeutral(string path, string value)
        {
            Path = path;
            Value = value;
        }

        /// <summary>Where the key is in the resolved spec's canonical JSON (snake_case property names; "[*]" any list index): "testbed.pretrain.length_groups".</summary>
        public string Path { get; }

        /// <summary>The neutral value as the attribute writes it (YAML: "1", "false", "float32", "~").</summary>
        public string Value { get; }

        /// <summary>The value as a drop's text compares it: null for "~", else as written (a drop also matches the quoted JSON string).</summary>
        public string Json => Value == "~" ? "null" : Value;

        public override string ToString() => Path + " if " + Json;

        public bool Equals(KeyNeutral? other) => other is not null && other.Path == Path && other.Value == Value;

        public override bool Equals(object? obj) => Equals(obj as KeyNeutral);

        public override int GetHashCode() => Path.GetHashCode() * 31 + Value.GetHashCode();

        /// <summary>
        /// Adds <paramref name="key"/> to the keys both readers collect, once: options records that share a base declare
        /// the same key again, which is fine at the same value and an error at another.
        /// </summary>
        public static void AddOnce(List<KeyNeutral> found, KeyNeutral key)
        {
            if (found.FirstOrDefault(k => k.Path == key.Path) is { } seen)
            {
                if (seen.Value != key.Value)
                {
                    throw new InvalidOperationException($"{key.Path}: [Option(KeyNeutral)] is '{seen.Value}' on one options record and '{key.Value}' on another; declare it once, on their common base");
                }

                return;
            }

            found.Add(key);
        }

        /// <summary>A spec property path ("Unlearn[@model].Method", "Testbed.Pretrain") as its JSON path ("unlearn[*].method", "testbed.pretrain").</summary>
        public static string JsonPath(string from)
            => from.Length == 0 ? "" : string.Join(".", from.Split('.').Select(segment =>
            {
                var bracket = segment.IndexOf('[');
                return bracket < 0 ? StageShape.SnakeCase(segment) : StageShape.SnakeCase(segment.Substring(0, bracket)) + "[*]";
            }));
    }
}
