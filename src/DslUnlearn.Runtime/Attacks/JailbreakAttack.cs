using DslUnlearn.Components;
using DslUnlearn.Data;

namespace DslUnlearn.Attacks;

public record JailbreakOptions
{
    /// <summary>Name of a shipped template (see JailbreakTemplates): none, ignore_instructions, roleplay, hypothetical, developer_mode, research, prefix_injection, repeat.</summary>
    public string Template { get; init; } = "ignore_instructions";
    /// <summary>A custom template instead of a shipped one; must contain {question}.</summary>
    [Option(Sweepable = false)]
    public string? Text { get; init; }
    /// <summary>In-context variant: number k of retain QA pairs, in the same prompt format, put before the question (0 = off).</summary>
    [Option(Min = 0, Max = 32)]
    public int InContext { get; init; }
}

/// <summary>
/// Jail-breaking: wraps every question (original and paraphrased) in a template and, with
/// <c>in_context: k</c>, prepends k retain QA pairs formatted exactly like the prompt
/// ("Question: q1\nAnswer: a1\nQuestion: ..."). It changes inputs only: the model is returned untouched.
/// The k demonstrations are drawn per example from the attack seed and the example's text (never the
/// example itself), so the same seed gives the same prompts in any order.
/// </summary>
[Attack("jailbreak", PreservesKnowledge = true)]
public sealed class JailbreakAttack : IAttack
{
    private readonly string _template;

    public JailbreakAttack(JailbreakOptions options)
    {
        Options = options;
        _template = options.Text ?? JailbreakTemplates.Get(options.Template);
        JailbreakTemplates.Validate(_template);
        if (options.InContext < 0) throw new ArgumentOutOfRangeException(nameof(options), options.InContext, "jailbreak.in_context must be 0 or more.");
    }

    public JailbreakOptions Options { get; }

    public AttackResult Apply(AttackContext context)
    {
        var retain = context.Data.RetainTrain; // demonstrations come from training rows, never from the measured retain-eval rows
        int k = Options.InContext;
        if (k > 0 && retain.Count < k + 1)
            throw new ArgumentException($"jailbreak.in_context = {k} needs at least {k + 1} retain examples, the data have {retain.Count}: lower in_context.");
        var prompt = context.Encoder.Prompt;
        string template = _template;
        ulong seed = context.Seed;

        QaExample Transform(QaExample e)
        {
            string prefix = "";
            if (k > 0)
            {
                var rng = new SplitMix64(InputTransforms.ExampleSeed(seed, e, "jailbreak"));
                var picked = new List<QaExample>(k);
                var taken = new HashSet<int>();
                while (picked.Count < k)
                {
                    int j = rng.Next(retain.Count);
                    var d = retain[j];
                    if (!taken.Add(j) || (d.Question == e.Question && d.Author == e.Author)) continue;
                    picked.Add(d);
                }
                // The encoder adds QuestionTag before and AnswerTag after the question: each demonstration
                // ends with a newline and the next QuestionTag so the whole prompt keeps one format.
                prefix = string.Concat(picked.Select(d => d.Question + prompt.AnswerTag + d.Answer + "\n" + prompt.QuestionTag));
            }
            return e with
            {
                Question = prefix + JailbreakTemplates.Apply(template, e.Question),
                ParaphrasedQuestion = e.ParaphrasedQuestion is null ? null : prefix + JailbreakTemplates.Apply(template, e.ParaphrasedQuestion),
            };
        }

        return new AttackResult(context.Model, InputTransforms.Then(context.InputTransform, Transform));
    }
}
