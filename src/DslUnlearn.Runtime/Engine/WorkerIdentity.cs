namespace DslUnlearn.Engine;

/// <summary>
/// Who is running: host, process, and the scheduler's ids when a Slurm array task runs us. Written into every lock
/// file (so `status` can say who builds a stage) and every manifest (provenance of the run that wrote it).
/// </summary>
public sealed record WorkerIdentity
{
    public required string Host { get; init; }
    public required int Pid { get; init; }
    /// <summary>Start time of the process in clock ticks since boot (/proc/PID/stat field 22): tells a live pid from a reused one.</summary>
    public long? PidStart { get; init; }
    public string? SlurmJobId { get; init; }
    public string? SlurmArrayJobId { get; init; }
    public string? SlurmArrayTaskId { get; init; }
    /// <summary>The unit this process runs ("1/3" for `run --task 1 --of 3`, or a cell id), when it runs one.</summary>
    public string? Task { get; init; }
    /// <summary>Index of a local worker (`run --jobs N`), when this process is one.</summary>
    public int? Worker { get; init; }

    /// <summary>Set once by the command line (`--task`, `--cell`, `--jobs` workers) before anything runs.</summary>
    public static string? CurrentTask { get; set; }
    public static int? CurrentWorker { get; set; }

    public static WorkerIdentity Current()
    {
        int pid = Environment.ProcessId;
        return new WorkerIdentity
        {
            Host = HostName(),
            Pid = pid,
            PidStart = ProcessStartTicks(pid),
            SlurmJobId = Env("SLURM_JOB_ID"),
            SlurmArrayJobId = Env("SLURM_ARRAY_JOB_ID"),
            SlurmArrayTaskId = Env("SLURM_ARRAY_TASK_ID"),
            Task = CurrentTask,
            Worker = CurrentWorker,
        };
    }

    /// <summary>The short host name (what Slurm calls the node).</summary>
    public static string HostName() => Environment.MachineName;

    /// <summary>One line for messages: "host pid 123 (slurm 45_2)".</summary>
    public string Describe()
        => $"{Host} pid {Pid}" + (SlurmArrayJobId is { } a ? $" (slurm job {a}_{SlurmArrayTaskId})" : SlurmJobId is { } j ? $" (slurm job {j})" : "")
           + (Task is { } t ? $", task {t}" : "") + (Worker is { } w ? $", worker {w}" : "");

    /// <summary>
    /// Whether the process this identity names is certainly gone: only answerable on its own host (same host name),
    /// where /proc tells a dead pid, a zombie, or a pid reused by a later process (other start time).
    /// </summary>
    public bool IsCertainlyDeadHere()
    {
        if (!OperatingSystem.IsLinux() || Host != HostName()) return false;
        string stat = $"/proc/{Pid}/stat";
        try
        {
            if (!File.Exists(stat)) return true;
            var (state, start) = ParseStat(File.ReadAllText(stat));
            if (state is 'Z' or 'X') return true;
            return PidStart is { } want && start is { } have && want != have;
        }
        catch (IOException) { return true; } // vanished while reading
    }

    internal static long? ProcessStartTicks(int pid)
    {
        try { return OperatingSystem.IsLinux() ? ParseStat(File.ReadAllText($"/proc/{pid}/stat")).Start : null; }
        catch (IOException) { return null; }
    }

    /// <summary>State (field 3) and start time (field 22) of /proc/PID/stat; the command name (field 2) may hold spaces, so parse after its ')'.</summary>
    private static (char State, long? Start) ParseStat(string stat)
    {
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        char state = rest[0].Length > 0 ? rest[0][0] : '?';
        long? start = rest.Length > 19 && long.TryParse(rest[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) ? s : null;
        return (state, start);
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
