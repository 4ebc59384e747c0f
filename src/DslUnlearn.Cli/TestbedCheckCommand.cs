using System.Globalization;
using DslUnlearn.Bench;
using DslUnlearn.Specs;
using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Cli;

/// <summary>`dslunlearn testbed-check --json FILE [key=value ...]`: issue 11's acceptance numbers on the biographies testbed (docs/testbed.md).</summary>
internal static class TestbedCheckCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--json") { Description = "Where to write the JSON result.", DefaultValueFactory = _ => "bench/testbed.json" };
        var settings = new Argument<string[]>("settings") { Description = "key=value overrides: authors, forget, attributes, bios, mixed, tokenizer, layers, hidden, heads, intermediate, seq, pre_epochs, pre_lr, pre_batch, pre_groups (testbed.pretrain.length_groups), ft_epochs, ft_lr, ft_batch, ga_lr (a comma list: one GA + relearning per rate), ga_steps, relearn_lr, relearn_batch, probe_steps, short, templates (comma list of jailbreak templates), suffix (share of QA documents with neutral text after the question), bio_context (share of biographies after a drawn context), ft_context (share of the QA fine-tune's rows after a drawn context), circle (literary circles of N consecutive authors sharing a birth city and a genre; 0 off), questions (training question wordings, 1..5), relearn_only, no_oracle (the target's criteria only: no second pretraining), cost_only (the world and one pretraining epoch's padded batch shapes, no training), target_base/oracle_base (model.bin of a stored pretrain/target, pretrain/oracle: skips pretraining); 'tokenizers' (with docs=N) compares char and bpe instead", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("testbed-check", "Train the biographies testbed's target and oracle and measure issue 11's acceptance criteria (a benchmark; minutes).") { output, settings };
        command.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(settings) ?? []));
        return command;
    }

    private static int Run(string output, string[] settings)
    {
        var kv = settings.Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "true");
        int I(string k, int d) => kv.TryGetValue(k, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : d;
        double D(string k, double d) => kv.TryGetValue(k, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : d;
        var o = new TestbedAcceptanceOptions
        {
            Authors = I("authors", 40), ForgetAuthors = I("forget", 4),
            Testbed = new TestbedSpec
            {
                Attributes = I("attributes", 12), BiographiesPerAuthor = I("bios", 4), SentenceTemplates = I("sentences", 3), QuestionTemplates = I("questions", 3),
                MixedShare = D("mixed", 0.5), HoldoutAuthors = I("holdout", 4), Tokenizer = kv.GetValueOrDefault("tokenizer", "bpe"),
                Pretrain = new FinetuneSpec { Epochs = I("pre_epochs", 20), Lr = D("pre_lr", 2e-3), BatchSize = I("pre_batch", 16), WeightDecay = D("pre_wd", 0), WarmupSteps = I("pre_warmup", 20), MaxGradNorm = 1, LengthGroups = I("pre_groups", 1) },
            },
            Layers = I("layers", 4), Hidden = I("hidden", 192), Heads = I("heads", 4), Intermediate = I("intermediate", 512), MaxSeqLen = I("seq", 256),
            Finetune = new FinetuneSpec { Epochs = I("ft_epochs", 5), Lr = D("ft_lr", 1e-3), BatchSize = I("ft_batch", 16), WeightDecay = 0, WarmupSteps = I("ft_warmup", 5), MaxGradNorm = 1 },
            GaLrs = kv.TryGetValue("ga_lr", out var gaLrs) ? gaLrs.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToList() : [1e-4], GaSteps = I("ga_steps", 10), RelearnLr = D("relearn_lr", 5e-4), RelearnBatch = I("relearn_batch", new DslUnlearn.Attacks.RelearnOptions().BatchSize), ProbeSteps = I("probe_steps", 300), Seed = I("seed", 42),
            Short = kv.ContainsKey("short"), RelearnOnly = kv.ContainsKey("relearn_only"), NoOracle = kv.ContainsKey("no_oracle"),
            Templates = kv.TryGetValue("templates", out var templates) ? templates.Split(',') : null, SuffixShare = D("suffix", 0), BioContextShare = D("bio_context", 0), FinetuneContextShare = D("ft_context", 0), CircleSize = I("circle", 0), CostOnly = kv.ContainsKey("cost_only"),
            TargetBase = kv.GetValueOrDefault("target_base"), OracleBase = kv.GetValueOrDefault("oracle_base"),
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (kv.ContainsKey("tokenizers"))
        {
            var cmp = TestbedTokenizerComparison.Run(o, I("docs", 64), line => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}"));
            File.WriteAllText(output, cmp.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            Console.WriteLine($"Written to {output}");
            return Commands.Ok;
        }
        var result = TestbedAcceptance.Run(o, line => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}"));
        result["settings"] = new System.Text.Json.Nodes.JsonArray(settings.Select(s => (System.Text.Json.Nodes.JsonNode?)s).ToArray());
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (result["verdicts"] is { } verdicts) Console.WriteLine($"verdicts {verdicts.ToJsonString()}");
        Console.WriteLine($"Written to {output}");
        return Commands.Ok;
    }
}
