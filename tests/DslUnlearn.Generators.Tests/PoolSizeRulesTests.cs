using System.Globalization;
using DslUnlearn.Generators.Tests.Infrastructure;

namespace DslUnlearn.Generators.Tests;

/// <summary>
/// meta_eval.faithfulness.sizes is checked at build time (DSLU0017, at the size's line) by the rules the runtime applies
/// (src/DslUnlearn.Runtime/Engine/PoolSizeRules.cs, with Models/HeadRules.cs): the build refuses exactly the sizes the run would.
/// </summary>
public sealed class PoolSizeRulesTests
{
    private static string Spec(int hidden, int heads, int kv, string sizes)
        => $"experiment: t\nmodel:\n  hidden_size: {hidden}\n  heads: {heads}\n  kv_heads: {kv}\n  layers: 2\n  intermediate_size: 64\n" +
           $"meta_eval:\n  faithfulness:\n    seeds: [1]\n    sizes:\n{sizes}";

    /// <summary>What the run refuses: the runtime's own copy of the rules, then (for the sizes they pass) its Llama config check.</summary>
    private static List<(int Index, string Message)> RuntimeRefuses(int hidden, int heads, int kv, (int? H, int? L, int? I)[] sizes)
    {
        var problems = DslUnlearn.Engine.PoolSizeRules.Problems(hidden, 2, 64, heads, kv, null,
            sizes.Select(z => (z.H, z.L, z.I)).ToList()).ToList();
        for (var i = 0; i < sizes.Length; i++)
        {
            var config = new DslUnlearn.Models.LlamaConfig(100, sizes[i].H ?? hidden, sizes[i].L ?? 2, heads, kv, sizes[i].I ?? 64, 32);
            if (Record.Exception(() => config.Validate()) is not null && problems.All(p => p.Index != i))
            {
                problems.Add((i, "the runtime's LlamaConfig refuses it, the rules do not"));
            }
        }

        return problems;
    }

    private static string Yaml((int? H, int? L, int? I) z)
    {
        var parts = new List<string>();
        if (z.H is { } h) parts.Add($"hidden_size: {h}");
        if (z.L is { } l) parts.Add($"layers: {l}");
        if (z.I is { } n) parts.Add($"intermediate_size: {n}");
        return "      - {" + string.Join(", ", parts) + "}\n";
    }

    [Fact]
    public void The_build_refuses_exactly_the_sizes_the_runtime_refuses_at_their_lines()
    {
        var lists = new List<(int? H, int? L, int? I)[]>();
        foreach (var h in new[] { 8, 12, 20, 24, 32, 36, 48, 64, 96, 100 })
        {
            lists.Add([(h, null, null)]);
        }

        lists.Add([(null, null, null)]);                 // sets nothing
        lists.Add([(null, 2, null)]);                    // the spec's own layers: the spec's own model when hidden is too
        lists.Add([(32, null, null), (32, 2, null)]);    // the same model twice
        lists.Add([(36, 1, null), (48, null, 32)]);
        var refused = 0;
        foreach (var (hidden, heads, kv) in from h in new[] { 64, 96 } from n in new[] { 2, 4, 6 } from k in new[] { 1, 2 } select (h, n, k))
        {
            if (hidden % heads != 0 || (hidden / heads) % 2 != 0 || heads % kv != 0)
            {
                continue; // the spec's own model: is refused by model:'s own checks (DiagnosticTests)
            }

            foreach (var sizes in lists)
            {
                var run = GeneratorHarness.Run(("spec.yaml", Spec(hidden, heads, kv, string.Concat(sizes.Select(Yaml)))));
                var build = run.Diagnostics.Select(d => (d.Id, Line: d.Location.GetLineSpan().StartLinePosition.Line + 1, Message: d.GetMessage())).ToList();
                var runtime = RuntimeRefuses(hidden, heads, kv, sizes);
                var what = $"hidden {hidden}, heads {heads}, kv {kv}, sizes {string.Concat(sizes.Select(Yaml)).Trim()}";
                Assert.True(build.All(d => d.Id == "DSLU0017"), what + ": " + string.Join("; ", build));
                Assert.Equal(runtime.Select(p => p.Message), build.Select(d => d.Message));
                Assert.Equal(runtime.Select(p => 12 + p.Index), build.Select(d => d.Line)); // each at its item's line

                // Independently, by arithmetic: a size is refused when it sets nothing, repeats a model, or its hidden_size does not split into the heads.
                var seen = new HashSet<(int, int, int)> { (hidden, 2, 64) };
                var expected = sizes.Select(z =>
                {
                    var dims = (z.H ?? hidden, z.L ?? 2, z.I ?? 64);
                    var bad = z == (null, null, null) || !seen.Add(dims) || dims.Item1 % heads != 0 || (dims.Item1 / heads) % 2 != 0;
                    return bad;
                }).ToList();
                Assert.Equal(expected.Select((bad, i) => (bad, i)).Where(p => p.bad).Select(p => p.i), runtime.Select(p => p.Index).Distinct());
                refused += runtime.Count;
            }
        }

        Assert.InRange(refused, 20, 200); // the grid holds both kinds
    }

    [Fact]
    public void Sizes_on_a_checkpoint_are_refused_at_the_list_and_nothing_without_a_forget_metric()
    {
        var checkpoint = GeneratorHarness.Run(("spec.yaml", "experiment: t\nmodel:\n  checkpoint: ckpt\nmeta_eval:\n  faithfulness:\n    seeds: [1]\n    sizes:\n      - {hidden_size: 32}\n"));
        var d = Assert.Single(checkpoint.Diagnostics);
        Assert.Equal(("DSLU0017", 8), (d.Id, d.Location.GetLineSpan().StartLinePosition.Line + 1)); // at the list; the path as the run gets it
        Assert.Equal("meta_eval.faithfulness.sizes overrides model: sizes, but the model is the checkpoint experiments/ckpt; remove 'sizes' or build a preset.", d.GetMessage());

        // As at run time: without a metric on forget the pools are not built, so their sizes are not checked.
        var retainOnly = GeneratorHarness.Run(("spec.yaml", Spec(64, 4, 4, "      - {hidden_size: 36}\n") + "metrics:\n  - {metric: em, splits: [retain]}\n"));
        Assert.Empty(retainOnly.Diagnostics);
        Assert.Empty(DslUnlearn.Engine.PoolSizeRules.Problems(64, 2, 64, 4, 4, null, []));
    }
}
