#!/usr/bin/env bash
# stop-slurm.sh - stop the test cluster started by start-slurm.sh, by PID only (for a person; the
# tests leave the cluster up for the next run, which start-slurm.sh then reuses).
# Cancels all jobs, asks Slurm to shut down (scontrol shutdown), then falls back
# to SIGTERM/SIGKILL on the recorded PIDs. Stops munged only if start-slurm.sh
# started it. Safe to run when nothing is running.
set -uo pipefail

BASE=${SLURM_CI_DIR:-/tmp/dslunlearn-slurm}
export SLURM_CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}

log() { echo "[stop-slurm] $*" >&2; }
alive() {
  local pid=$1 want=$2 stat comm
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  stat=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $stat != Z && $stat != X ]] || return 1      # zombies count as dead
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "$want" ]]
}
pidof_file() { [[ -s $1 ]] && tr -dc '0-9' <"$1" || true; }
wait_gone() {  # pid name tenths
  local i
  for ((i = 0; i < $3; i++)); do alive "$1" "$2" || return 0; sleep 0.1; done
  ! alive "$1" "$2"
}

# read PIDs first: the daemons delete their pid files on exit
CTLD_PID=$(pidof_file "$BASE/slurmctld.pid")
SLURMD_PID=$(pidof_file "$BASE/slurmd.pid")
MUNGE_PID=$(pidof_file "$BASE/munged.pid.ours")

if alive "$CTLD_PID" slurmctld; then
  jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
  if [[ -n ${jobs// /} ]]; then
    log "cancelling jobs: $jobs"
    # shellcheck disable=SC2086
    timeout 10 scancel $jobs 2>/dev/null || true
    for _ in $(seq 150); do
      [[ -z $(timeout 10 squeue -h 2>/dev/null) ]] && break
      sleep 0.1
    done
  fi
  timeout 10 scontrol shutdown >/dev/null 2>&1 || true   # stops slurmctld and slurmd
fi

for pair in "$SLURMD_PID:slurmd" "$CTLD_PID:slurmctld"; do
  pid=${pair%%:*} name=${pair##*:}
  [[ -n $pid ]] || continue
  if ! wait_gone "$pid" "$name" 100; then
    log "$name $pid still up, SIGTERM"; kill "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$name" 50; then
      log "$name $pid still up, SIGKILL"; kill -9 "$pid" 2>/dev/null || true
      wait_gone "$pid" "$name" 50 || log "$name $pid would not die"
    fi
  fi
done
rm -f "$BASE/slurmctld.pid" "$BASE/slurmd.pid"

if alive "$MUNGE_PID" munged; then
  kill "$MUNGE_PID" 2>/dev/null || true
  wait_gone "$MUNGE_PID" munged 50 || { kill -9 "$MUNGE_PID" 2>/dev/null || true; }
fi
rm -f "$BASE/munged.pid.ours"
log "stopped"
