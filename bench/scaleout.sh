#!/usr/bin/env bash
# bench/scaleout.sh - wall time of one experiment three ways, from an empty store each time:
#   sequential `run`, `run --jobs N` (N local workers, cores/N torch threads each), and a Slurm array
#   (`submit --slurm --wait`, N tasks at once with cores/N CPUs each); checks that all three wrote the same
#   results.json bytes, and writes the times, ratios, load and thread counts as JSON.
# Usage: bench/scaleout.sh [experiment (default tiny-seeds)] [json out (default bench/scaleout-<experiment>.json)] [N (default 2)]
# The Slurm leg needs a cluster: tests/support/slurm/start-slurm.sh starts a one-node one (as root).
# A benchmark, not a test: on a shared machine the numbers move with the load, which is recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
EXP=${1:-tiny-seeds}
JSON=${2:-bench/scaleout-$EXP.json}
N=${3:-2}
CORES=$(nproc)
PER=$(( CORES / N > 0 ? CORES / N : 1 ))
dotnet build src/DslUnlearn.Cli -c Release -v q -nologo >/dev/null
DSLU=$PWD/src/DslUnlearn.Cli/bin/Release/net10.0/dslunlearn
SCRATCH=$(mktemp -d /tmp/dslu-bench-scaleout.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
export OMP_WAIT_POLICY=passive
load() { cut -d' ' -f1 /proc/loadavg; }
timed() { # name command... -> prints seconds; logs to $SCRATCH/name.log
  local name=$1; shift
  local t0 t1; t0=$(date +%s.%N)
  "$@" >"$SCRATCH/$name.log" 2>&1 || { echo "[bench] $name failed, log:" >&2; tail -n 30 "$SCRATCH/$name.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}'
}
L0=$(load)
SEQ=$(OMP_NUM_THREADS=$CORES timed sequential "$DSLU" run "$EXP" --out "$SCRATCH/seq")
L1=$(load)
JOBS=$(timed jobs "$DSLU" run "$EXP" --jobs "$N" --out "$SCRATCH/jobs")
L2=$(load)
SLURM=null; L3=null
if command -v sbatch >/dev/null && timeout 10 sinfo -h >/dev/null 2>&1; then
  SLURM=$(timed slurm "$DSLU" submit "$EXP" --slurm --wait --cpus-per-task "$PER" --out "$SCRATCH/slurm")
  L3=$(load)
else
  echo "[bench] no Slurm cluster answers (sinfo): the Slurm leg is skipped" >&2
fi
same=true
for d in jobs slurm; do
  [[ -d $SCRATCH/$d ]] || continue
  while IFS= read -r f; do cmp -s "$SCRATCH/seq/$EXP/$f" "$SCRATCH/$d/$EXP/$f" || { same=false; echo "[bench] $d/$f differs" >&2; }; done \
    < <(cd "$SCRATCH/seq/$EXP" && find . -name results.json)
done
STAGES=$(grep -c ' executed ' "$SCRATCH/sequential.log" || true)
ratio() { [[ $2 == null ]] && echo null || awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
cat >"$JSON" <<JSON
{
  "experiment": "$EXP",
  "measured_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "git_commit": "$(git rev-parse HEAD)",
  "processors": $CORES,
  "workers": $N,
  "sequential_threads": $CORES,
  "threads_per_worker": $PER,
  "stages_executed_sequential": $STAGES,
  "sequential_seconds": $SEQ,
  "jobs_seconds": $JOBS,
  "slurm_array_seconds": $SLURM,
  "speedup_jobs_vs_sequential": $(ratio "$SEQ" "$JOBS"),
  "speedup_slurm_vs_sequential": $(ratio "$SEQ" "$SLURM"),
  "load_average_1min": {"start": $L0, "after_sequential": $L1, "after_jobs": $L2, "after_slurm": $L3},
  "identical_results_json": $same
}
JSON
cat "$JSON"
