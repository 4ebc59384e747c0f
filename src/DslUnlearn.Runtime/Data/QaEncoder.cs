using DslUnlearn.Specs.Vocabulary;
using DslUnlearn.Text;

namespace DslUnlearn.Data;

/// <summary>A QA pair as token ids: BOS + question_tag + question + answer_tag | answer + EOS.</summary>
/// <param name="PromptLength">Tokens before the answer (BOS and tags included).</param>
/// <param name="AnswerLength">Answer tokens, EOS excluded (what ES and EM are measured on).</param>
public sealed record EncodedQa(int[] Ids, int PromptLength, int AnswerLength);

/// <summary>
/// Encodes a QA pair the way TOFU does (data_module.py, convert_raw_data_to_model_format): the joined text
/// question_tag + question + answer_tag + answer is tokenized as one string, and the answer starts after the
/// prompt's own tokens. For BPE and SentencePiece tokenizers this matters: "Answer: " + "Paris" joined gives
/// "Answer", ":", " Paris", where separate encodings give "Answer", ":", " " and "Paris". TOFU counts
/// |tok(prompt)| tokens as the prompt; here the prompt is the longest common prefix of tok(prompt) and tok(joined),
/// which is the same whenever tok(prompt) is a prefix of tok(joined) (always for the char tokenizer) and, when
/// the tokens straddle the boundary, gives the straddling token to the answer instead of masking it.
/// </summary>
public sealed class QaEncoder(ITokenizer tokenizer, PromptSpec prompt)
{
    public ITokenizer Tokenizer => tokenizer;
    /// <summary>The question/answer tags (in-context attacks format their demonstrations with them).</summary>
    public PromptSpec Prompt => prompt;

    public EncodedQa Encode(QaExample example, bool paraphrased = false)
    {
        string question = paraphrased ? example.RequireParaphrasedQuestion() : example.Question;
        string promptText = prompt.QuestionTag + question + prompt.AnswerTag;
        int[] promptIds = tokenizer.Encode(promptText);
        int[] joined = example.Answer.Length == 0 ? promptIds : tokenizer.Encode(promptText + example.Answer);
        int shared = 0;
        while (shared < promptIds.Length && shared < joined.Length && promptIds[shared] == joined[shared]) shared++;
        int bos = tokenizer.BosId is null ? 0 : 1;
        var ids = new int[bos + joined.Length + 1];
        if (tokenizer.BosId is { } b) ids[0] = b;
        joined.CopyTo(ids, bos);
        ids[^1] = tokenizer.EosId;
        return new EncodedQa(ids, bos + shared, joined.Length - shared);
    }

    public EncodedQa[] EncodeAll(IEnumerable<QaExample> examples, bool paraphrased = false)
        => examples.Select(e => Encode(e, paraphrased)).ToArray();
}
