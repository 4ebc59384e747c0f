#!/usr/bin/env bash
# start-slurm.sh - bring up a real single-node Slurm cluster (Debian 12, Slurm 22.05) without
# systemd, for the scale-out tests (tests/DslUnlearn.Tests/ScaleOut/SlurmCluster.cs starts it once
# per test run). Idempotent: installs the packages if missing (apt-get, as root), (re)writes
# slurm.conf, starts munged/slurmctld/slurmd only if they are not already running with the same
# config, waits until the node is idle and an srun probe passes.
#
# Exit codes: 0 cluster up; 3 Slurm cannot be installed here (not root, no apt-get, or the
# install failed; the tests then skip and say why); anything else: it was installed but did not
# come up (the tests fail, with this script's output).
#
# Env knobs:
#   SLURM_CI_DIR   state/spool/log/pid folder (default /tmp/dslunlearn-slurm)
#   SLURM_CONF     config path (default /etc/slurm/slurm.conf, which the client
#                  tools read with no env var set)
#   SLURM_CI_WAIT  seconds to wait for the node to become idle (default 60)
set -euo pipefail

BASE=${SLURM_CI_DIR:-/tmp/dslunlearn-slurm}
CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
WAIT=${SLURM_CI_WAIT:-60}
export SLURM_CONF=$CONF

log() { echo "[start-slurm] $*" >&2; }
now() { date +%s.%N; }
T0=$(now)
elapsed() { awk -v a="$T0" -v b="$(now)" 'BEGIN{printf "%.2fs", b-a}'; }

# alive PID COMM: process exists, is not a zombie, and has the expected name.
# (PID 1 here is not an init that reaps promptly: killed daemons linger as
#  zombies for a while, so `kill -0` alone is not a liveness test.)
alive() {
  local pid=$1 want=$2 stat comm
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  stat=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $stat != Z && $stat != X ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "$want" ]]
}
pidof_file() { [[ -s $1 ]] && tr -dc '0-9' <"$1" || true; }

# Run a daemon with stdio on /dev/null and every other inherited fd closed, so a
# CI pipe (`.ci/run | tee`) never stays open because of a daemon (munged keeps
# inherited fds otherwise).
run_clean() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
    done
    exec "$@" </dev/null >/dev/null 2>&1
  )
}

# ---------------------------------------------------------------- 1. packages
PKGS=(slurmctld slurmd slurm-client munge)
need_install=0
for b in slurmctld slurmd sbatch sinfo munged munge unmunge; do
  command -v "$b" >/dev/null 2>&1 || need_install=1
done
if ((need_install)); then
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    log "Slurm is not installed and cannot be installed here (needs root and apt-get): install ${PKGS[*]}"
    exit 3
  fi
  log "installing ${PKGS[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # --no-install-recommends: otherwise slurm-wlm-plugins (+rocm, ipmi, hdf5, ...)
  # drags in 34 packages instead of 7. Try without `apt-get update` first (faster when lists are fresh).
  if ! apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null 2>&1; then
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null || { log "apt-get install ${PKGS[*]} failed"; exit 3; }
  fi
  log "installed ($(elapsed))"
fi
if [[ $(id -u) != 0 ]]; then
  log "Slurm is installed, but starting a test cluster needs root (munge key, /etc/slurm)"
  exit 3
fi

mkdir -p "$BASE"/{state,spool,log} "$(dirname "$CONF")"

# ---------------------------------------------------------------- 2. munge
# Slurm 22.05 has auth/munge and auth/none (no auth/slurm before 23.11); munge is
# a hard package dependency anyway and starts in ~50 ms, so use it.
if [[ ! -s /etc/munge/munge.key ]]; then
  log "creating munge key"
  install -d -o munge -g munge -m 0700 /etc/munge
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge          # systemd's RuntimeDirectory
for d in /var/log/munge /var/lib/munge; do
  [[ -d $d ]] || install -d -o munge -g munge -m 0700 "$d"
done
munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
  run_clean runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 100); do munge_ok && break; sleep 0.1; done
  munge_ok || { log "munged did not come up"; tail -n 20 /var/log/munge/munged.log >&2; exit 1; }
  # record that *we* started it, so stop-slurm.sh stops only our own munged
  cp /run/munge/munged.pid "$BASE/munged.pid.ours"
  log "munged up ($(elapsed))"
fi

# ---------------------------------------------------------------- 3. config
NODE=$(hostname -s)
# `slurmd -C` prints the real node line, e.g.
# NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
NODELINE=$(slurmd -C | head -n1)
[[ $NODELINE == NodeName=$NODE\ * ]] || { log "unexpected slurmd -C output: $NODELINE"; exit 1; }

NEWCONF=$(mktemp)
cat >"$NEWCONF" <<EOF
# written by tests/support/slurm/start-slurm.sh - single-node test cluster
ClusterName=dslunlearn
SlurmctldHost=$NODE(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$BASE/state
SlurmdSpoolDir=$BASE/spool
SlurmctldPidFile=$BASE/slurmctld.pid
SlurmdPidFile=$BASE/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# batch_sched_delay=0: start batch jobs at submit time instead of up to 3 s later
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
MaxJobCount=100000
MaxArraySize=10001
$NODELINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

CTLD_PID=$(pidof_file "$BASE/slurmctld.pid")
SLURMD_PID=$(pidof_file "$BASE/slurmd.pid")
node_state() { timeout 10 sinfo -h -n "$NODE" -o %T 2>/dev/null || true; }

if cmp -s "$NEWCONF" "$CONF" && alive "$CTLD_PID" slurmctld && alive "$SLURMD_PID" slurmd &&
   [[ $(node_state) =~ ^(idle|mixed|allocated)$ ]]; then
  rm -f "$NEWCONF"
  log "already running (slurmctld $CTLD_PID, slurmd $SLURMD_PID), node $(node_state)"
  exit 0
fi

# stale or differently configured daemons from an earlier run: stop them (by PID)
for pair in "$SLURMD_PID:slurmd" "$CTLD_PID:slurmctld"; do
  pid=${pair%%:*} name=${pair##*:}
  if alive "$pid" "$name"; then
    log "stopping old $name ($pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do alive "$pid" "$name" || break; sleep 0.1; done
    alive "$pid" "$name" && kill -9 "$pid" 2>/dev/null || true
  fi
done

mv "$NEWCONF" "$CONF"
chmod 0644 "$CONF"
# fresh state every cold start: job ids from 1, no recovered stale node state
rm -rf "$BASE/state" "$BASE/spool" "$BASE"/slurmctld.pid "$BASE"/slurmd.pid
mkdir -p "$BASE"/{state,spool,log}
: >"$BASE/log/slurmctld.log"; : >"$BASE/log/slurmd.log"

# ---------------------------------------------------------------- 4. start
TS=$(now)
run_clean slurmctld -f "$CONF"      # daemonizes; pid in $BASE/slurmctld.pid
run_clean slurmd -f "$CONF"         # daemonizes; pid in $BASE/slurmd.pid

deadline=$(( $(date +%s) + WAIT ))
state=
while (( $(date +%s) < deadline )); do
  state=$(node_state)
  [[ $state == idle ]] && break
  sleep 0.1
done
if [[ $state != idle ]]; then
  log "node not idle after ${WAIT}s (state='$state')"
  tail -n 30 "$BASE/log/slurmctld.log" "$BASE/log/slurmd.log" >&2 || true
  exit 1
fi
IDLE_AT=$(awk -v a="$TS" -v b="$(now)" 'BEGIN{printf "%.2fs", b-a}')

# end-to-end probe: allocation + munge credential + slurmd launch + exit code
if ! timeout 30 srun -N1 -n1 -t 1 -J probe true; then
  log "srun probe failed"
  tail -n 30 "$BASE/log/slurmctld.log" "$BASE/log/slurmd.log" >&2 || true
  exit 1
fi
log "slurm up: node $NODE idle ${IDLE_AT} after daemon start, probe ok; total $(elapsed)" \
    "(slurmctld $(pidof_file "$BASE/slurmctld.pid"), slurmd $(pidof_file "$BASE/slurmd.pid"), SLURM_CONF=$CONF)"
