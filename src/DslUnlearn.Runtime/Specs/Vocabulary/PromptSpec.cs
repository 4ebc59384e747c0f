using DslUnlearn.Components;

namespace DslUnlearn.Specs.Vocabulary;

/// <summary>How a QA pair becomes text: question_tag + question + answer_tag + answer.</summary>
public sealed record PromptSpec
{
    [Option(Default = "\"Question: \"", Help = "text before each question")]
    public required string QuestionTag { get; init; }
    [Option(Default = "\"\\nAnswer: \"", Help = "text between question and answer")]
    public required string AnswerTag { get; init; }
}
