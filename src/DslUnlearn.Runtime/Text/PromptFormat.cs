using DslUnlearn.Specs.Vocabulary;

namespace DslUnlearn.Text;

/// <summary>
/// How a question is turned into a prompt for a model family, in the two-tag shape of <see cref="PromptSpec"/>:
/// prompt = QuestionTag + question + AnswerTag, then the answer. The presets are the ones of TOFU's model
/// configs used by the paper: Phi-1.5 "Question: {q}\nAnswer: {a}", Llama-2-chat "[INST] {q} [/INST]{a}".
/// </summary>
public sealed record PromptFormat(string Name, string QuestionTag, string AnswerTag)
{
    /// <summary>Phi-1.5 (and the built-in quickstart default): "Question: ...\nAnswer: ...".</summary>
    public static readonly PromptFormat Phi = new("phi", "Question: ", "\nAnswer: ");

    /// <summary>Llama-2-chat: "[INST] ... [/INST]" with the answer right after (TOFU's question_end_tag " [/INST]", empty answer_tag).</summary>
    public static readonly PromptFormat Llama2Chat = new("llama2-chat", "[INST] ", " [/INST]");

    /// <summary>No template: question, a newline, answer.</summary>
    public static readonly PromptFormat Plain = new("plain", "", "\n");

    public static IReadOnlyList<PromptFormat> All { get; } = [Phi, Llama2Chat, Plain];

    /// <summary>The preset for a config.json model_type: llama -> Llama-2-chat, phi -> Phi, others -> Phi's tags.</summary>
    public static PromptFormat ForFamily(string modelType) => modelType switch
    {
        "llama" => Llama2Chat,
        _ => Phi,
    };

    public static PromptFormat FromName(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"unknown prompt format '{name}'; known: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));

    public string Prompt(string question) => QuestionTag + question + AnswerTag;

    public PromptSpec ToPromptSpec() => new() { QuestionTag = QuestionTag, AnswerTag = AnswerTag };
}
