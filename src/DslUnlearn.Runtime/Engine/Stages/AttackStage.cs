using System.Text.Json.Nodes;
using DslUnlearn.Attacks;
using DslUnlearn.Pipeline;
using DslUnlearn.Reporting;
using DslUnlearn.Specs;

namespace DslUnlearn.Engine;

/// <summary>
/// <c>attack/&lt;model&gt;/&lt;attack&gt;</c>: for the target, the oracle and every unlearned model and every attack pipeline of
/// the spec, applies the pipeline (one attack, or an <see cref="AttackChain"/>) and evaluates every metric of the spec on
/// the attacked model with the attack's input transform. Attack and evaluation are one stage, so views such as a probe
/// read-out are never stored; only the metric values are (an <see cref="EvalArtifact"/>).
/// </summary>
public static partial class StagedExperimentRunner
{
    /// <summary>Attacks draw their randomness (relearning order, noise, in-context picks) from seed + this.</summary>
    public const int AttackSeedOffset = 2;


    /// <summary>The models every attack pipeline is applied to: the target, the oracle, then each unlearned model (name, model stage, method).</summary>
    private static IEnumerable<(string Name, string Stage, string? Method)> AttackedModels(ExperimentSpec spec)
        => new[] { ("target", StageIds.Target, (string?)null) }
            .Concat(spec.Finetune.Oracle ? [(OracleName, StageIds.Oracle, (string?)null)] : [])
            .Concat(spec.Unlearn.Select(u => (u.Name, StageIds.Unlearn(u.Name), (string?)u.MethodName)));

    private static IReadOnlyList<string> AddAttackStages(Prepared p, JsonObject evalOptions, IProgressSink progress)
    {
        var spec = p.Spec;
        if (spec.Attacks.Length == 0) return [];
        var dup = spec.Attacks.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"{spec.SourceFile}: two attack pipelines are named '{dup.Key}'; give each a distinct `name:`.");
        var ids = new List<string>();
        bool withOracle = spec.Finetune.Oracle;
        foreach (var (model, modelStage, _) in AttackedModels(spec))
            foreach (var a in spec.Attacks)
            {
                string id = StageIds.Attack(model, a.Name);
                var options = evalOptions.DeepClone().AsObject();
                options["attack"] = new JsonArray(a.Chain.Select(step =>
                {
                    var node = CanonicalJson.FromObject(step.Attack)!.AsObject();
                    node["name"] = step.Name;
                    node["type"] = step.Attack.GetType().FullName;
                    return (JsonNode?)node;
                }).ToArray());
                options["seed_offset"] = AttackSeedOffset;
                options["finetune_lr"] = CanonicalJson.FromObject(spec.Finetune.Lr);
                ComponentVersions.AddTo(options, "attack_versions", a.Chain.Select(s => (s.Name, (object)s.Attack)));
                p.Graph.Add(new StageDefinition
                {
                    Id = id, Kind = StageKinds.Attack, Inputs = withOracle && modelStage != StageIds.Oracle ? [modelStage, StageIds.Oracle] : [modelStage], Options = options,
                    Execute = ctx =>
                    {
                        using var target = EvaluationProfile.Measure("load", () => LoadModel(p, ctx.Input(modelStage), p.EngineOptions.ModelFormat));
                        using var oracle = withOracle && MetricsNeedOracle(p) ? LoadModel(p, ctx.Input(StageIds.Oracle), p.EngineOptions.ModelFormat) : null;
                        IAttack attack = a.Chain.Length == 1 ? a.Chain[0].Attack : new AttackChain(a.Chain.Select(s => s.Attack).ToList());
                        var result = EvaluationProfile.Measure($"attack {a.Name}", () => attack.Apply(new AttackContext(target, p.Data, p.Encoder, p.Device, (ulong)spec.Seed + AttackSeedOffset, spec.Finetune.Lr)));
                        try
                        {
                            var values = EvaluateMetrics(p, result.Model, result.InputTransform, oracle);
                            progress.Message(MetricEvaluation.Describe($"{model}+{a.Name}", values));
                            new EvalArtifact(values).Write(ctx.Output);
                        }
                        finally
                        {
                            if (!ReferenceEquals(result.Model, target)) result.Model.Dispose();
                        }
                    },
                });
                ids.Add(id);
            }
        return ids;
    }

    private static IReadOnlyList<AttackedEvaluation> ReadAttacked(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var list = new List<AttackedEvaluation>();
        foreach (var a in p.Spec.Attacks)
            foreach (var (model, _, method) in AttackedModels(p.Spec))
                list.Add(new AttackedEvaluation(a.Name, a.Chain.Select(s => s.Name).ToList(), model,
                    EvalArtifact.Read(store.Open(keys[StageIds.Attack(model, a.Name)])).ToModel(model, "attacked", method)));
        return list;
    }
}
