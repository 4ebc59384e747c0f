using System.Diagnostics;
using DslUnlearn.Attacks;
using DslUnlearn.Data;
using DslUnlearn.Data.Testbed;
using DslUnlearn.Methods;
using DslUnlearn.Models;
using DslUnlearn.Metrics;
using DslUnlearn.Progress;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Training;

namespace DslUnlearn.Bench;

/// <summary>Sizes and recipe of one acceptance measurement of the biographies testbed (issue 11).</summary>
public sealed record TestbedAcceptanceOptions
{
    public int Authors { get; init; } = 40;
    public int ForgetAuthors { get; init; } = 4;
    public required TestbedSpec Testbed { get; init; }
    public int Layers { get; init; } = 4;
    public int Hidden { get; init; } = 192;
    public int Heads { get; init; } = 4;
    public int Intermediate { get; init; } = 512;
    public int MaxSeqLen { get; init; } = 256;
    public required FinetuneSpec Finetune { get; init; }
    /// <summary>GA learning rates for the relearn-on-half criterion: one GA run (and one relearning) per rate, from the same target.</summary>
    public IReadOnlyList<double> GaLrs { get; init; } = [1e-4];
    public int GaSteps { get; init; } = 10;
    public double RelearnLr { get; init; } = 5e-4;
    /// <summary>Relearning's batch size (the attack's default 16: one epoch on 16 pairs is one step).</summary>
    public int RelearnBatch { get; init; } = new RelearnOptions().BatchSize;
    public int ProbeSteps { get; init; } = 300;
    public int Seed { get; init; } = 42;
    /// <summary>Only clean ES, ES perturb, one jailbreak and in-context (for tuning the recipe).</summary>
    public bool Short { get; init; }
    /// <summary>Only clean ES and the GA + relearn-on-half criterion (no attacks, no oracle).</summary>
    public bool RelearnOnly { get; init; }
    /// <summary>Every criterion of the target (all attacks, relearning) but no oracle, which is a second pretraining.</summary>
    public bool NoOracle { get; init; }
    /// <summary>The jailbreak templates to measure (null: every shipped one, or ignore_instructions with <see cref="Short"/>).</summary>
    public IReadOnlyList<string>? Templates { get; init; }
    /// <summary>Share of the corpus's QA documents with neutral text after the question (TestbedCorpus.NeutralSuffixes).</summary>
    public double SuffixShare { get; init; }
    /// <summary>Share of the corpus's biographies after a drawn context (TestbedCorpus.Documents).</summary>
    public double BioContextShare { get; init; }
    /// <summary>Share of the QA fine-tune's rows (target and oracle) after a drawn context (TestbedFinetuneRows); GA and relearning stay on plain rows.</summary>
    public double FinetuneContextShare { get; init; }
    /// <summary>Literary circles of this many consecutive authors sharing a birth city and a genre (BiographyWorld.Generate); 0: independent authors.</summary>
    public int CircleSize { get; init; }
    public PromptSpec Prompt { get; init; } = new() { QuestionTag = "Question: ", AnswerTag = "\nAnswer: " };
    /// <summary>
    /// model.bin files of the pretrained bases a spec's run left in the store (stages pretrain/target and pretrain/oracle
    /// of a spec with this world, model, pretraining and seed): loaded instead of pretraining, which is most of the cost.
    /// The engine's pretraining is this one (same init, corpus, settings and seed), so the numbers are the same.
    /// </summary>
    public string? TargetBase { get; init; }
    public string? OracleBase { get; init; }
    /// <summary>Only the world's sizes and the pretraining epoch's batch cost (no training).</summary>
    public bool CostOnly { get; init; }
}

/// <summary>
/// `dslunlearn testbed-check`: trains the testbed's target (pretraining on the corpus, then the QA fine-tune) and oracle
/// (the same without the forget authors) and measures issue 11's acceptance criteria: clean ES, every shipped jailbreak
/// template, in-context k = 2, token noise 0.2, a tuned lens at the middle layer, 4-bit group quantization, ES perturb,
/// the oracle's forget ES against the untrained floor, and relearning on half of the forget authors after GA. A benchmark,
/// not a test: it writes numbers and verdicts, asserts nothing. Attacks are the shipped ones, unchanged.
/// </summary>
public static class TestbedAcceptance
{
    public static JsonObject Run(TestbedAcceptanceOptions o, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        var device = torch.CPU;
        var inputs = TestbedInputs.Create(o.Authors, o.ForgetAuthors, o.Testbed, o.Prompt, o.SuffixShare, o.BioContextShare, o.CircleSize);
        var tok = inputs.Tokenizer;
        var encoder = new QaEncoder(tok, o.Prompt);
        var data = inputs.Data;
        var corpus = TestbedInputs.EncodeDocuments(inputs.Corpus, tok);
        var oracleCorpus = TestbedInputs.EncodeDocuments(inputs.OracleCorpus, tok);
        var forget = encoder.EncodeAll(data.Forget);
        var retain = encoder.EncodeAll(data.FinetuneRetain.ToArray());
        var targetQa = TestbedFinetuneRows.Encode(inputs.World, data.Forget.Concat(data.FinetuneRetain).ToList(), tok, o.Prompt, o.FinetuneContextShare);
        var oracleQa = TestbedFinetuneRows.Encode(inputs.World, data.FinetuneRetain.ToList(), tok, o.Prompt, o.FinetuneContextShare);
        int longest = corpus.Concat(targetQa).Concat(oracleQa).Max(r => r.Ids.Length);
        var result = new JsonObject
        {
            ["machine"] = BenchRunner.Machine(),
            ["threads"] = torch.get_num_threads(),
            ["world"] = new JsonObject
            {
                ["authors"] = o.Authors, ["forget_authors"] = o.ForgetAuthors, ["attributes"] = o.Testbed.Attributes, ["biographies_per_author"] = o.Testbed.BiographiesPerAuthor,
                ["mixed_share"] = o.Testbed.MixedShare, ["suffix_share"] = o.SuffixShare, ["bio_context_share"] = o.BioContextShare, ["finetune_context_share"] = o.FinetuneContextShare, ["circle_size"] = o.CircleSize, ["question_templates"] = o.Testbed.QuestionTemplates, ["tokenizer"] = o.Testbed.Tokenizer, ["vocab"] = tok.VocabSize,
                ["corpus_docs"] = corpus.Length, ["corpus_tokens"] = corpus.Sum(r => r.Ids.Length), ["qa_tokens"] = forget.Concat(retain).Sum(r => r.Ids.Length),
                ["longest_sequence"] = longest, ["mean_doc_tokens"] = corpus.Average(r => r.Ids.Length),
                ["pretrain_batch_cost"] = PretrainBatchCost(corpus, o.Testbed.Pretrain.BatchSize),
            },
            ["model"] = $"llama {o.Layers} layers, hidden {o.Hidden}, heads {o.Heads}, intermediate {o.Intermediate}",
            ["pretrain"] = Engine.CanonicalJson.FromObject(o.Testbed.Pretrain), ["finetune"] = Engine.CanonicalJson.FromObject(o.Finetune),
        };
        log($"world: vocab {tok.VocabSize}, {corpus.Length} docs, {result["world"]!["corpus_tokens"]} corpus tokens, longest {longest}, per epoch {result["world"]!["pretrain_batch_cost"]!.ToJsonString()}");
        if (o.CostOnly) return result;
        if (longest > o.MaxSeqLen) throw new InvalidOperationException($"longest sequence {longest} > max_seq_len {o.MaxSeqLen}");

        var config = new LlamaConfig(tok.VocabSize, o.Hidden, o.Layers, o.Heads, o.Heads, o.Intermediate, o.MaxSeqLen).Validate();
        torch.manual_seed(o.Seed);
        using var init = new LlamaForCausalLM(config);
        result["parameters"] = init.Module.parameters().Sum(t => t.numel());
        var times = new JsonObject();
        result["seconds"] = times;
        var sink = new LogSink(log);

        ICausalLM Train(ICausalLM from, EncodedQa[] pre, EncodedQa[] qa, string name)
        {
            var m = from.Clone();
            var sw = Stopwatch.StartNew();
            if ((name == "target" ? o.TargetBase : o.OracleBase) is { } basePath)
            {
                using (var f = File.OpenRead(basePath)) new Engine.TorchSharpModelFormat().Load(m.Module, f);
                result[$"{name}_base"] = basePath;
            }
            else
            {
                Finetuner.Train(m, pre, o.Testbed.Pretrain, (ulong)o.Seed, device, sink, $"pretrain {name}", tok.PadId);
            }
            times[$"pretrain_{name}"] = Math.Round(sw.Elapsed.TotalSeconds, 1);
            if (name == "target" && !o.RelearnOnly) result["base_readout"] = BaseReadout(m);
            sw.Restart();
            Finetuner.Train(m, qa, o.Finetune, (ulong)o.Seed, device, sink, $"finetune {name}", tok.PadId);
            times[$"finetune_{name}"] = Math.Round(sw.Elapsed.TotalSeconds, 1);
            return m;
        }

        double Es(ICausalLM m, IReadOnlyList<QaExample> rows, Func<QaExample, QaExample>? transform = null, bool paraphrased = false)
        {
            var x = transform is null ? rows : rows.Select(transform).ToList();
            return Evaluator.Evaluate(m, encoder.EncodeAll(x, paraphrased), 32, device, tok.PadId).EsExact.Average();
        }
        JsonObject Both(ICausalLM m, Func<QaExample, QaExample>? t = null, bool paraphrased = false)
            => new() { ["forget"] = Math.Round(Es(m, data.Forget, t, paraphrased), 4), ["retain"] = Math.Round(Es(m, data.RetainEval, t, paraphrased), 4) };

        // The pretrained base before the QA fine-tune: it never saw a forget author's question, so its forget ES is what
        // pretraining alone makes extractable from the biographies (a diagnostic; no verdict reads it).
        JsonObject BaseReadout(ICausalLM m)
        {
            var inContext = new JailbreakAttack(new JailbreakOptions { Template = "none", InContext = 2 })
                .Apply(new AttackContext(m, data, encoder, device, (ulong)o.Seed + 2, o.Finetune.Lr));
            var b = new JsonObject { ["clean"] = Both(m), ["es_perturb"] = Both(m, paraphrased: true), ["in_context_k2"] = Both(m, inContext.InputTransform) };
            log($"target base (before the QA fine-tune) {b.ToJsonString()}");
            return b;
        }

        var untrained = Both(init);
        using var target = Train(init, corpus, targetQa, "target");
        var clean = Both(target);
        log($"target clean ES {clean.ToJsonString()}, untrained {untrained.ToJsonString()}  ({clock.Elapsed.TotalSeconds:F0} s)");
        result["untrained"] = untrained;
        result["clean"] = clean;
        result["es_perturb"] = Both(target, paraphrased: true);
        log($"ES perturb {result["es_perturb"]!.ToJsonString()}");

        var attacks = new JsonObject();
        result["attacks"] = attacks;
        var ctx = new AttackContext(target, data, encoder, device, (ulong)o.Seed + 2, o.Finetune.Lr);
        void Measure(string name, IAttack attack)
        {
            var sw = Stopwatch.StartNew();
            var r = attack.Apply(ctx);
            try
            {
                var v = Both(r.Model, r.InputTransform);
                v["ratio_forget"] = Math.Round(v["forget"]!.GetValue<double>() / clean["forget"]!.GetValue<double>(), 3);
                v["ratio_retain"] = Math.Round(v["retain"]!.GetValue<double>() / clean["retain"]!.GetValue<double>(), 3);
                attacks[name] = v;
                log($"  {name,-28} {v.ToJsonString()}  ({sw.Elapsed.TotalSeconds:F0} s)");
            }
            finally
            {
                if (!ReferenceEquals(r.Model, target)) r.Model.Dispose();
            }
        }
        var templates = o.RelearnOnly ? [] : o.Templates ?? (o.Short ? ["ignore_instructions"] : JailbreakTemplates.Builtin.Keys.Where(k => k != "none").ToList());
        foreach (var t in templates) Measure($"jailbreak:{t}", new JailbreakAttack(new JailbreakOptions { Template = t }));
        if (!o.RelearnOnly) Measure("in_context_k2", new JailbreakAttack(new JailbreakOptions { Template = "none", InContext = 2 }));
        if (!o.Short)
        {
            if (!o.RelearnOnly)
            {
                Measure("token_noise_0.2", new TokenNoiseAttack(new TokenNoiseOptions { Fraction = 0.2 }));
                Measure("quantize_4bit_group32", new QuantizeAttack(new QuantizeOptions { Bits = 4, Granularity = QuantGranularity.Group, GroupSize = 32 }));
                Measure($"probe_tuned_layer{o.Layers / 2}", new ProbeAttack(new ProbeOptions { Layer = o.Layers / 2, Readout = ProbeReadout.Tuned, TunedSteps = o.ProbeSteps }));
            }
            using var oracle = o.RelearnOnly || o.NoOracle ? null : Train(init, oracleCorpus, oracleQa, "oracle");
            if (oracle is not null)
            {
                result["oracle"] = Both(oracle);
                // The fair floor: ES on the holdout authors, who are in no training text of either model. A model that knows
                // the answer formats but not the author completes some answer tails anyway; the untrained 0 ignores that.
                result["format_floor"] = new JsonObject
                {
                    ["target_holdout"] = Math.Round(Es(target, data.Holdout), 4), ["oracle_holdout"] = Math.Round(Es(oracle, data.Holdout), 4),
                };
                log($"oracle {result["oracle"]!.ToJsonString()}, format floor (holdout authors) {result["format_floor"]!.ToJsonString()}");
            }

            // GA on the whole forget split, then relearn one epoch on the first half of the forget authors; ES on the other half.
            var authors = data.Forget.Select(e => e.Author).Distinct().ToList();
            var half = authors.Take(authors.Count / 2).ToHashSet();
            var learn = data.Forget.Where(e => half.Contains(e.Author)).ToList();
            var other = data.Forget.Where(e => !half.Contains(e.Author)).ToList();
            var sweep = new JsonArray();
            foreach (double gaLr in o.GaLrs)
            {
                using var ga = target.Clone();
                UnlearningLoop.Run(ga, new GradientAscent(new GaOptions { Lr = gaLr, Steps = o.GaSteps }), forget, retain, (ulong)o.Seed + 1, device, sink, "ga", tok.PadId);
                var relearn = new RelearnAttack(new RelearnOptions { Lr = o.RelearnLr, Epochs = 1, BatchSize = o.RelearnBatch })
                    .Apply(new AttackContext(ga, new QaDataset(learn, data.RetainTrain, data.RetainEval), encoder, device, (ulong)o.Seed + 2, o.Finetune.Lr));
                using var relearned = relearn.Model;
                // Control: the same relearning on as many retain-train pairs. If the other half rises as much, relearning
                // repairs GA's damage in general rather than bringing back the forget authors' knowledge.
                var control = new RelearnAttack(new RelearnOptions { Lr = o.RelearnLr, Epochs = 1, BatchSize = o.RelearnBatch })
                    .Apply(new AttackContext(ga, new QaDataset(data.RetainTrain.Take(learn.Count).ToList(), data.RetainTrain, data.RetainEval), encoder, device, (ulong)o.Seed + 2, o.Finetune.Lr));
                using var controlModel = control.Model;
                var h = new JsonObject
                {
                    ["ga_lr"] = gaLr, ["relearn_lr"] = o.RelearnLr, ["relearn_batch"] = o.RelearnBatch, ["forget_authors_relearned"] = half.Count, ["forget_authors_other"] = authors.Count - half.Count,
                    ["ga_forget"] = Math.Round(Es(ga, data.Forget), 4), ["ga_retain"] = Math.Round(Es(ga, data.RetainEval), 4),
                    ["other_half_before"] = Math.Round(Es(ga, other), 4), ["other_half_after"] = Math.Round(Es(relearned, other), 4),
                    ["learned_half_before"] = Math.Round(Es(ga, learn), 4), ["learned_half_after"] = Math.Round(Es(relearned, learn), 4),
                    ["relearned_retain"] = Math.Round(Es(relearned, data.RetainEval), 4),
                    ["other_half_after_retain_relearn"] = Math.Round(Es(controlModel, other), 4),
                    ["oracle_other_half"] = oracle is null ? null : Math.Round(Es(oracle, other), 4),
                };
                sweep.Add(h);
                log($"relearn half {h.ToJsonString()}");
            }
            // The first rate is the criterion's (as before); every rate is in relearn_sweep.
            result["relearn_half"] = sweep[0]!.DeepClone();
            result["relearn_sweep"] = sweep;
        }
        result["verdicts"] = Verdicts(result);
        times["total"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        return result;
    }

    /// <summary>
    /// What one pretraining epoch costs by the shapes the trainer runs (every batch is padded to its longest row): the
    /// padded positions and the sum of batch x length squared (attention), as means over 20 shuffles. A machine-free
    /// measure of a corpus change's cost, where wall times on the shared machine depend on the load.
    /// </summary>
    internal static JsonObject PretrainBatchCost(IReadOnlyList<EncodedQa> rows, int batchSize)
    {
        double padded = 0, squared = 0;
        const int Shuffles = 20;
        for (int s = 0; s < Shuffles; s++)
            foreach (var batch in new BatchSampler(rows, batchSize, new SplitMix64(0xC057UL + (ulong)s)).Epoch())
            {
                long l = batch.Max(r => r.Ids.Length);
                padded += batch.Length * l;
                squared += batch.Length * l * l;
            }
        long real = rows.Sum(r => (long)r.Ids.Length);
        return new JsonObject
        {
            ["tokens"] = real, ["padded_positions"] = Math.Round(padded / Shuffles), ["padding_share"] = Math.Round(1 - real / (padded / Shuffles), 3),
            ["attention_positions_squared"] = Math.Round(squared / Shuffles),
        };
    }

    /// <summary>Issue 11's thresholds, applied to the measured numbers (both splits must pass).</summary>
    internal static JsonObject Verdicts(JsonObject r)
    {
        var v = new JsonObject();
        double F(JsonNode? n, string k) => n![k]!.GetValue<double>();
        foreach (var (name, a) in r["attacks"]!.AsObject())
        {
            double need = name.StartsWith("quantize", StringComparison.Ordinal) ? 0.9 : name.StartsWith("probe", StringComparison.Ordinal) ? double.NaN : 0.8;
            v[name] = name.StartsWith("probe", StringComparison.Ordinal)
                ? Math.Min(F(a, "forget"), F(a, "retain")) >= 0.3
                : Math.Min(F(a, "ratio_forget"), F(a, "ratio_retain")) >= need;
        }
        v["es_perturb"] = Math.Min(F(r["es_perturb"], "forget"), F(r["es_perturb"], "retain")) >= 0.6;
        if (r["relearn_half"] is { } h) v["relearn_half_raises_other_half"] = F(h, "other_half_after") > F(h, "other_half_before") + 0.05;
        // Beyond the control: the other half gains more from the forget authors' relearning than from as many retain pairs.
        if (r["relearn_half"] is { } c) v["relearn_half_beyond_retain_control"] = F(c, "other_half_after") > F(c, "other_half_after_retain_relearn") + 0.05;
        if (r["relearn_sweep"] is JsonArray { Count: > 1 } sweep)
            foreach (var x in sweep)
            {
                var at = F(x, "ga_lr").ToString(System.Globalization.CultureInfo.InvariantCulture);
                v[$"relearn_half_raises_other_half@ga_lr={at}"] = F(x, "other_half_after") > F(x, "other_half_before") + 0.05;
                v[$"relearn_half_beyond_retain_control@ga_lr={at}"] = F(x, "other_half_after") > F(x, "other_half_after_retain_relearn") + 0.05;
            }
        if (r["oracle"] is { } or) v["oracle_forget_near_floor"] = F(or, "forget") <= F(r["untrained"], "forget") + 0.1;
        if (r["format_floor"] is { } ff) v["oracle_forget_near_format_floor"] = F(r["oracle"], "forget") <= F(ff, "oracle_holdout") + 0.1;
        return v;
    }

    private sealed class LogSink(Action<string> log) : IProgressSink
    {
        private readonly Dictionary<string, int> _total = new();
        public void StageStarted(string stage, int total) => _total[stage] = total;
        public void StageAdvanced(string stage, int done, string? detail = null)
        {
            int total = _total.GetValueOrDefault(stage);
            if (total == 0 || done == total || done % Math.Max(1, total / 10) == 0) log($"  {stage} {done}/{total} {detail}");
        }
        public void StageFinished(string stage, string? summary = null) { }
        public void Message(string text) => log(text);
    }
}

/// <summary>`testbed-check tokenizers`: char vs bpe on the same world and model: vocabulary, sequence lengths, and the wall time of pretraining steps.</summary>
public static class TestbedTokenizerComparison
{
    public static JsonObject Run(TestbedAcceptanceOptions o, int docs, Action<string> log)
    {
        var result = new JsonObject { ["machine"] = BenchRunner.Machine(), ["threads"] = torch.get_num_threads(), ["docs_timed"] = docs };
        foreach (var kind in new[] { "bpe", "char" })
        {
            var t = o.Testbed with { Tokenizer = kind, Pretrain = o.Testbed.Pretrain with { Epochs = 1, WarmupSteps = 0 } };
            var inputs = TestbedInputs.Create(o.Authors, o.ForgetAuthors, t, o.Prompt, o.SuffixShare);
            var rows = TestbedInputs.EncodeDocuments(inputs.Corpus, inputs.Tokenizer);
            int longest = rows.Max(r => r.Ids.Length);
            var config = new LlamaConfig(inputs.Tokenizer.VocabSize, o.Hidden, o.Layers, o.Heads, o.Heads, o.Intermediate, Math.Max(o.MaxSeqLen, longest)).Validate();
            torch.manual_seed(o.Seed);
            using var model = new LlamaForCausalLM(config);
            var timed = rows.Take(docs).ToArray();
            var sw = Stopwatch.StartNew();
            Finetuner.Train(model, timed, t.Pretrain, (ulong)o.Seed, torch.CPU, NullProgressSink.Instance, "time", inputs.Tokenizer.PadId);
            double seconds = sw.Elapsed.TotalSeconds;
            long tokens = rows.Sum(r => (long)r.Ids.Length), timedTokens = timed.Sum(r => (long)r.Ids.Length);
            var node = new JsonObject
            {
                ["vocab"] = inputs.Tokenizer.VocabSize, ["parameters"] = model.Module.parameters().Sum(p => p.numel()),
                ["corpus_tokens"] = tokens, ["mean_doc_tokens"] = Math.Round(rows.Average(r => r.Ids.Length), 1), ["longest"] = longest,
                ["qa_mean_tokens"] = Math.Round(new QaEncoder(inputs.Tokenizer, o.Prompt).EncodeAll(inputs.Data.All).Average(r => r.Ids.Length), 1),
                ["timed_seconds"] = Math.Round(seconds, 2), ["train_tokens_per_s"] = Math.Round(timedTokens / seconds),
                ["estimated_seconds_per_epoch"] = Math.Round(seconds * rows.Length / timed.Length, 1),
            };
            result[kind] = node;
            log($"{kind}: {node.ToJsonString()}");
        }
        return result;
    }
}
