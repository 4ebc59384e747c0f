using System.Runtime.CompilerServices;
using DslUnlearn.Data;
using DslUnlearn.Models;

namespace DslUnlearn.Metrics;

/// <summary>
/// What one evaluation pass (every metric of a spec on every split, one model state, one input transform) would
/// otherwise compute several times: es_exact, em and nll score the same rows, forget_quality and model_utility repeat the
/// truth ratio's passes, ROUGE recall and F1 and model_utility generate the same answers. A request is answered from
/// an earlier one when the model object, the rows' tokens and the batching are the same, so the batches, and the code
/// that turns logits into numbers, are the ones a fresh computation would use: a hit returns the same bits.
/// One teacher-forced pass yields ES/EM and the answer statistics with the closing EOS (without it is the same
/// numbers, one shorter). Valid only while no model's weights change: <see cref="Engine.MetricEvaluation"/> makes
/// one per pass. Holds no tensors; every answer is a fresh copy (callers may change what they get).
/// </summary>
public sealed class EvaluationCache
{
    private readonly Dictionary<RowsKey, Scored> _scored = [];
    private readonly Dictionary<PromptsKey, int[][]> _generated = [];

    /// <summary>Teacher-forced passes and generations actually run (for tests and profiles).</summary>
    public int ForwardPasses { get; private set; }
    public int Generations { get; private set; }

    /// <summary><see cref="Evaluator.Evaluate(ICausalLM, IReadOnlyList{EncodedQa}, int, Device, int)"/>, shared.</summary>
    public Evaluator.Scores EsEm(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId)
    {
        var s = Get(model, rows, batchSize, device, padId, moments: false);
        return new Evaluator.Scores((double[])s.Es.Clone(), (double[])s.Em.Clone());
    }

    /// <summary><see cref="AnswerScorer.Score(ICausalLM, IReadOnlyList{EncodedQa}, int, Device, int, bool, bool)"/>, shared.</summary>
    public AnswerStats[] Stats(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId, bool moments, bool includeEos)
    {
        var s = Get(model, rows, batchSize, device, padId, moments);
        return s.WithEos.Select((a, i) =>
        {
            int n = rows[i].AnswerLength + (includeEos ? 1 : 0);
            return new AnswerStats(a.LogProbs[..n], a.Predicted[..n], a.Answer[..n],
                moments ? a.LogProbMean![..n] : null, moments ? a.LogProbVariance![..n] : null);
        }).ToArray();
    }

    /// <summary><see cref="Metrics.Generations.Greedy(ICausalLM, IReadOnlyList{int[]}, IReadOnlyList{int}, int?, int, int)"/>, shared.</summary>
    public int[][] Greedy(ICausalLM model, IReadOnlyList<int[]> prompts, IReadOnlyList<int> maxNewTokens, int? eosId, int padId, int batchSize)
    {
        var key = new PromptsKey(model, prompts, maxNewTokens, eosId, padId, batchSize);
        if (!_generated.TryGetValue(key, out var outputs))
        {
            outputs = Metrics.Generations.Greedy(model, prompts, maxNewTokens, eosId, padId, batchSize);
            _generated[key] = outputs;
            Generations++;
        }
        return outputs.Select(o => (int[])o.Clone()).ToArray();
    }

    private Scored Get(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId, bool moments)
    {
        var key = new RowsKey(model, rows, batchSize, device.ToString(), padId);
        if (_scored.TryGetValue(key, out var s) && (s.Moments || !moments)) return s;
        s = Score(model, rows, batchSize, device, padId, moments);
        _scored[key] = s;
        ForwardPasses++;
        return s;
    }

    /// <summary>The loops of Evaluator.Evaluate and AnswerScorer.Score in one: per batch one forward pass, then each one's
    /// own per-batch code on the same logits.</summary>
    private static Scored Score(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, Device device, int padId, bool moments)
    {
        var es = new List<double>(rows.Count);
        var em = new List<double>(rows.Count);
        var stats = new AnswerStats[rows.Count];
        AnswerScorer.ForEachBatch(model, rows, batchSize, device, padId, (logits, batch, part, start) =>
        {
            var (bEs, bEm) = ExtractionStrength.FromLogits(logits, batch.Labels, batch.AnswerLengths);
            es.AddRange(bEs);
            em.AddRange(bEm);
            AnswerScorer.FromLogits(logits, batch.Labels, part, moments, includeEos: true, stats, start);
        });
        return new Scored(es.ToArray(), em.ToArray(), stats, moments);
    }

    private sealed record Scored(double[] Es, double[] Em, AnswerStats[] WithEos, bool Moments);

    /// <summary>Model by reference, rows by content.</summary>
    private sealed class RowsKey : IEquatable<RowsKey>
    {
        private readonly ICausalLM _model;
        private readonly EncodedQa[] _rows;
        private readonly int _batchSize, _padId, _hash;
        private readonly string _device;

        public RowsKey(ICausalLM model, IReadOnlyList<EncodedQa> rows, int batchSize, string device, int padId)
        {
            (_model, _rows, _batchSize, _device, _padId) = (model, rows.ToArray(), batchSize, device, padId);
            var h = new HashCode();
            h.Add(RuntimeHelpers.GetHashCode(model));
            h.Add(batchSize); h.Add(device); h.Add(padId);
            foreach (var r in _rows)
            {
                h.Add(r.PromptLength); h.Add(r.AnswerLength);
                foreach (int id in r.Ids) h.Add(id);
            }
            _hash = h.ToHashCode();
        }

        public bool Equals(RowsKey? o)
            => o is not null && ReferenceEquals(_model, o._model) && _batchSize == o._batchSize && _padId == o._padId && _device == o._device
               && _rows.Length == o._rows.Length
               && _rows.Zip(o._rows).All(p => p.First.PromptLength == p.Second.PromptLength && p.First.AnswerLength == p.Second.AnswerLength
                                                && p.First.Ids.AsSpan().SequenceEqual(p.Second.Ids));

        public override bool Equals(object? obj) => Equals(obj as RowsKey);
        public override int GetHashCode() => _hash;
    }

    private sealed class PromptsKey : IEquatable<PromptsKey>
    {
        private readonly ICausalLM _model;
        private readonly int[][] _prompts;
        private readonly int[] _budgets;
        private readonly int? _eos;
        private readonly int _padId, _batchSize, _hash;

        public PromptsKey(ICausalLM model, IReadOnlyList<int[]> prompts, IReadOnlyList<int> budgets, int? eos, int padId, int batchSize)
        {
            (_model, _prompts, _budgets, _eos, _padId, _batchSize) = (model, prompts.Select(p => (int[])p.Clone()).ToArray(), budgets.ToArray(), eos, padId, batchSize);
            var h = new HashCode();
            h.Add(RuntimeHelpers.GetHashCode(model));
            h.Add(eos); h.Add(padId); h.Add(batchSize);
            foreach (int b in _budgets) h.Add(b);
            foreach (var p in _prompts)
            {
                h.Add(p.Length);
                foreach (int id in p) h.Add(id);
            }
            _hash = h.ToHashCode();
        }

        public bool Equals(PromptsKey? o)
            => o is not null && ReferenceEquals(_model, o._model) && _eos == o._eos && _padId == o._padId && _batchSize == o._batchSize
               && _budgets.AsSpan().SequenceEqual(o._budgets) && _prompts.Length == o._prompts.Length
               && _prompts.Zip(o._prompts).All(p => p.First.AsSpan().SequenceEqual(p.Second));

        public override bool Equals(object? obj) => Equals(obj as PromptsKey);
        public override int GetHashCode() => _hash;
    }
}
