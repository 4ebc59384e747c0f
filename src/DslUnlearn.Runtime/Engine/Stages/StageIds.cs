namespace DslUnlearn.Engine;

/// <summary>The kinds of stage a run is made of; the kind enters every stage key.</summary>
public static class StageKinds
{
    public const string Init = "init";
    public const string Finetune = "finetune";
    public const string Pretrain = "pretrain";
    public const string Unlearn = "unlearn";
    public const string Evaluate = "evaluate";
    public const string Attack = "attack";
    public const string Calibrate = "calibrate";
    public const string Report = "report";
}

/// <summary>Every stage id of a run, in one place (ids name stages in the manifest, dry-runs and logs).</summary>
public static class StageIds
{
    public const string Init = "init/model";
    public const string Target = "finetune/target";
    public const string Oracle = "finetune/oracle";
    public const string Report = "report";

    public static string Unlearn(string model) => $"unlearn/{model}";
    public static string Evaluate(string model) => $"evaluate/{model}";
    public static string Attack(string model, string attack) => $"attack/{model}/{attack}";
    public static string Calibrate(string model) => $"calibrate/{model}";
}

/// <summary>What a run did with a stage (<see cref="StageOutcome.Status"/>, manifest.json's <c>status</c>).</summary>
public static class StageStatus
{
    /// <summary>The verified artifact was in the store; nothing ran.</summary>
    public const string Cached = "cached";
    /// <summary>The stage ran from its start.</summary>
    public const string Executed = "executed";
    /// <summary>The stage ran from a training checkpoint of an interrupted run.</summary>
    public const string Resumed = "resumed";
}
