namespace DslUnlearn;
internal static class Placeholder { }
