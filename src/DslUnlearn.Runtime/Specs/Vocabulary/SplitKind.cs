using DslUnlearn.Components;

namespace DslUnlearn.Specs.Vocabulary;

public enum SplitKind
{
    [Choice("forget", Help = "the authors to unlearn")] Forget,
    [Choice("retain", Help = "the authors to keep")] Retain,
}
