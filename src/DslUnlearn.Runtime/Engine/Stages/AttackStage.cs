using DslUnlearn.Attacks;
using DslUnlearn.Progress;
using DslUnlearn.Reporting;

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


    /// <summary>The options of each attack pipeline's stages, by pipeline name (the same for every attacked model).</summary>
    private static Dictionary<string, JsonObject> AttackOptions(Prepared p, JsonObject evalOptions)
    {
        var spec = p.Spec;
        var dup = spec.Attacks.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new InvalidOperationException($"{spec.SourceFile}: two attack pipelines are named '{dup.Key}'; give each a distinct `name:`.");
        var byName = new Dictionary<string, JsonObject>();
        foreach (var a in spec.Attacks)
        {
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
            byName[a.Name] = options;
        }
        return byName;
    }

    /// <summary><c>attack/&lt;model&gt;/&lt;attack&gt;</c> (<see cref="StageShape"/> lists them: every attacked model × every pipeline).</summary>
    private static void AddAttackStage(Prepared p, ShapedStage stage, JsonObject options, IProgressSink progress)
    {
        var spec = p.Spec;
        var a = spec.Attacks.First(x => x.Name == stage.Attack);
        string model = stage.Model!, modelStage = stage.ModelStage!;
        bool withOracle = spec.Finetune.Oracle;
        p.Graph.Add(new StageDefinition
        {
            Id = stage.Id, Kind = stage.Kind, Inputs = stage.Inputs, Options = options.DeepClone(),
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
    }

    private static IReadOnlyList<AttackedEvaluation> ReadAttacked(Prepared p, ArtifactStore store, IReadOnlyDictionary<string, string> keys)
    {
        var list = new List<AttackedEvaluation>();
        var attackStages = StageShape.Of(ShapeInput(p.Spec)).Where(s => s.Kind == StageKinds.Attack).ToList();
        foreach (var a in p.Spec.Attacks)
            foreach (var s in attackStages.Where(s => s.Attack == a.Name))
            {
                string model = s.Model!;
                string? method = p.Spec.Unlearn.FirstOrDefault(u => StageIds.Unlearn(u.Name) == s.ModelStage)?.MethodName;
                list.Add(new AttackedEvaluation(a.Name, a.Chain.Select(c => c.Name).ToList(), model,
                    EvalArtifact.Read(store.Open(keys[s.Id])).ToModel(model, "attacked", method)));
            }
        return list;
    }
}
