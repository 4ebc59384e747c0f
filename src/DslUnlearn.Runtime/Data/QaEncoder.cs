using DslUnlearn.Specs;
using DslUnlearn.Text;

namespace DslUnlearn.Data;

/// <summary>A QA pair as token ids: BOS + question_tag + question + answer_tag | answer + EOS.</summary>
/// <param name="PromptLength">Tokens before the answer (BOS and tags included).</param>
/// <param name="AnswerLength">Answer tokens, EOS excluded (what ES and EM are measured on).</param>
public sealed record EncodedQa(int[] Ids, int PromptLength, int AnswerLength);

public sealed class QaEncoder(ITokenizer tokenizer, PromptSpec prompt)
{
    public ITokenizer Tokenizer => tokenizer;
    /// <summary>The question/answer tags (in-context attacks format their demonstrations with them).</summary>
    public PromptSpec Prompt => prompt;

    public EncodedQa Encode(QaExample example, bool paraphrased = false)
    {
        string question = paraphrased ? example.RequireParaphrasedQuestion() : example.Question;
        int[] promptIds = tokenizer.Encode(prompt.QuestionTag + question + prompt.AnswerTag);
        int[] answerIds = tokenizer.Encode(example.Answer);
        int bos = tokenizer.BosId is null ? 0 : 1;
        var ids = new int[bos + promptIds.Length + answerIds.Length + 1];
        if (tokenizer.BosId is { } b) ids[0] = b;
        promptIds.CopyTo(ids, bos);
        answerIds.CopyTo(ids, bos + promptIds.Length);
        ids[^1] = tokenizer.EosId;
        return new EncodedQa(ids, bos + promptIds.Length, answerIds.Length);
    }

    public EncodedQa[] EncodeAll(IEnumerable<QaExample> examples, bool paraphrased = false)
        => examples.Select(e => Encode(e, paraphrased)).ToArray();
}
