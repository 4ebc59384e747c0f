using DslUnlearn.Engine.Slurm;
using DslUnlearn.Engine.Workers;
using DslUnlearn.Experiments;

namespace DslUnlearn.Tests.ScaleOut;

/// <summary>
/// The batch scripts `submit --slurm` writes, line for line, without a cluster (SlurmSubmitTests needs one and skips
/// here): the directives in their order, the task's environment and command, and the exit-code file `--wait` reads.
/// </summary>
public sealed class SlurmScriptTests
{
    [Fact]
    public void Prepare_writes_the_array_and_aggregation_scripts_as_specified()
    {
        using var tmp = new TempDir();
        string experimentDir = Path.Combine(tmp.Path, "e");
        string d = Path.Combine(experimentDir, "slurm");
        Assert.Equal(d, SlurmSubmission.Quote(d)); // the expected text below writes the folder unquoted
        var cell = ExperimentCatalog.Find("tiny-faithfulness")!.Spec;
        WorkUnit[] units = [new(0, "seed=1", cell, null), new(1, "ga", cell, ["unlearn/ga"])];
        var options = new SlurmOptions { Partition = "cpu", CpusPerTask = 2, ArrayLimit = 4, SbatchArgs = ["--gres=gpu:1", "--qos=low"] };

        var plan = SlurmSubmission.Prepare("e", experimentDir, units, options, ["/opt/dslu/dslunlearn"], ["--out", "/data/out"], "/work/x");

        Assert.Equal($$"""
            #!/bin/bash
            # dslunlearn submit e --slurm: task i runs unit i of 2 (tasks.tsv); written by dslunlearn, rewritten on every submit.
            #SBATCH --job-name=dslu-e
            #SBATCH --array=0-1%4
            #SBATCH --output={{d}}/logs/%A_%a.out
            #SBATCH --chdir=/work/x
            #SBATCH --partition=cpu
            #SBATCH --cpus-per-task=2
            #SBATCH --gres=gpu:1
            #SBATCH --qos=low
            # torch threads = the task's CPUs (libgomp busy-waits when processes oversubscribe cores)
            export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
            export OMP_WAIT_POLICY=passive
            export DSLUNLEARN_LOG={{d}}/logs/"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out"
            /opt/dslu/dslunlearn run e --task "$SLURM_ARRAY_TASK_ID" --of 2 --out /data/out
            rc=$?
            echo "$rc" > {{d}}/exit/"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
            exit "$rc"

            """, File.ReadAllText(plan.ArrayScript));
        Assert.Equal($$"""
            #!/bin/bash
            # dslunlearn submit e --slurm: the aggregation, after every array task succeeded (afterok): reports from the store.
            #SBATCH --job-name=dslu-e-report
            #SBATCH --output={{d}}/logs/aggregate_%j.out
            #SBATCH --cpus-per-task=1
            #SBATCH --chdir=/work/x
            #SBATCH --partition=cpu
            #SBATCH --qos=low
            export OMP_NUM_THREADS=1
            export OMP_WAIT_POLICY=passive
            /opt/dslu/dslunlearn report e --out /data/out
            rc=$?
            echo "$rc" > {{d}}/exit/"aggregate_${SLURM_JOB_ID}"
            exit "$rc"

            """, File.ReadAllText(plan.AggregateScript));
        Assert.Equal("task\tunit\tkind\n0\tseed=1\tcell\n1\tga\tunlearn entry\n", File.ReadAllText(plan.TasksFile));
    }
}
