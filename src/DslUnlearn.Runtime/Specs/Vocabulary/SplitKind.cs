namespace DslUnlearn.Specs.Vocabulary;

public enum SplitKind { Forget, Retain }
