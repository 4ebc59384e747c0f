// The rules of meta_eval.faithfulness.sizes, in one place for the generator (DSLU0017 at the YAML line of the size)
// and the runtime (StagedExperimentRunner.PoolModelSources, for a spec written in C#): compiled into DslUnlearn.Runtime
// (namespace DslUnlearn.Engine) and, linked, into the netstandard2.0 generator and the CLI's validate (namespace
// DslUnlearn.Generators.Dsl). Keep it netstandard2.0 C#.
using System.Collections.Generic;
using System.Globalization;
#if !DSLUNLEARN_GENERATOR
using DslUnlearn.Models;
#endif

#if DSLUNLEARN_GENERATOR
namespace DslUnlearn.Generators.Dsl
#else
namespace DslUnlearn.Engine
#endif
{
    /// <summary>What a spec's pool sizes may not be, given its model: (sizes apply when the spec measures a metric on forget).</summary>
    public static class PoolSizeRules
    {
        /// <summary>
        /// Every refused size of <paramref name="sizes"/> (the overrides of model: each sets, null = the spec's), in list order,
        /// as its index (-1: the whole list) and the message with the fix: sizes on a checkpoint, a size that sets nothing, one
        /// that is the spec's own model or repeats an earlier size, and one whose hidden_size breaks the spec's heads (<see cref="HeadRules"/>).
        /// </summary>
        public static IReadOnlyList<(int Index, string Message)> Problems(int hiddenSize, int layers, int intermediateSize, int heads, int kvHeads,
            string? checkpoint, IReadOnlyList<(int? HiddenSize, int? Layers, int? IntermediateSize)> sizes)
        {
            var problems = new List<(int Index, string Message)>();
            if (sizes.Count == 0)
            {
                return problems;
            }

            if (checkpoint is not null)
            {
                problems.Add((-1, $"meta_eval.faithfulness.sizes overrides model: sizes, but the model is the checkpoint {checkpoint}; remove 'sizes' or build a preset."));
                return problems;
            }

            var seen = new Dictionary<(int, int, int), string> { [(hiddenSize, layers, intermediateSize)] = "the spec's own model: (always in the pools)" };
            for (var i = 0; i < sizes.Count; i++)
            {
                var z = sizes[i];
                var label = StageShape.SizeLabel(z.HiddenSize, z.Layers, z.IntermediateSize);
                var at = "meta_eval.faithfulness.sizes[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                if (label.Length == 0)
                {
                    problems.Add((i, $"{at} sets none of hidden_size, layers and intermediate_size; set at least one, or remove the item."));
                    continue;
                }

                var dims = (z.HiddenSize ?? hiddenSize, z.Layers ?? layers, z.IntermediateSize ?? intermediateSize);
                if (seen.TryGetValue(dims, out var same))
                {
                    problems.Add((i, $"{at} ({label}) is the same model as {same}; give each size other values, or remove it."));
                    continue;
                }

                seen[dims] = "sizes item " + label;
                foreach (var head in HeadRules.Problems(dims.Item1, heads, kvHeads, HeadKeys.Spec))
                {
                    problems.Add((i, $"{at} ({label}): {head} (the spec's model: heads apply to every size)"));
                }
            }

            return problems;
        }
    }
}
