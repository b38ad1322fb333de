#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for tests: installs Slurm and Munge from the
# distribution's packages, writes a configuration for this host, and starts or stops
# munged, slurmctld and slurmd. Everything lives under $POOLSIM_SLURM_DIR
# (default /tmp/poolsim-slurm).
#
#   scripts/slurm/local-cluster.sh start    # install if needed, configure, start, wait until the node is idle
#   scripts/slurm/local-cluster.sh stop     # stop the daemons
#   scripts/slurm/local-cluster.sh status
#
# If the machine cannot run the daemons (no root, no packages, a daemon that dies), it
# says why and exits non-zero: callers never skip silently.
set -euo pipefail

DIR=${POOLSIM_SLURM_DIR:-/tmp/poolsim-slurm}
CONF=$DIR/etc/slurm.conf
export SLURM_CONF=$CONF

die() { echo "local-cluster: $*" >&2; exit 1; }

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
        && command -v sbatch >/dev/null; then
        return
    fi
    [ "$(id -u)" = 0 ] || die "installing Slurm needs root (apt-get); run as root or install slurm-wlm and munge"
    command -v apt-get >/dev/null || die "no apt-get: install slurmctld, slurmd, slurm-client and munge by hand"
    echo "local-cluster: installing slurmctld, slurmd, slurm-client and munge" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed (no package registry?)"
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null \
        || die "apt-get install of slurmctld slurmd slurm-client munge failed"
}

write_config() {
    mkdir -p "$DIR"/{etc,state,spool,log,run,munge}
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
    cat >"$CONF" <<CONF
ClusterName=poolsim-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPort=6817
SlurmdPort=6818
MaxArraySize=100001
MinJobAge=600
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    # No cgroup.conf: proctrack/linuxproc and task/none need no cgroups (containers have none to spare).
    rm -f "$DIR/etc/cgroup.conf"
}

start_munge() {
    if [ ! -s "$DIR/munge/munge.key" ]; then
        dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1 count=1024 status=none
        chmod 400 "$DIR/munge/munge.key"
    fi
    if [ -S "$DIR/munge/munge.socket" ] && munge -n -S "$DIR/munge/munge.socket" >/dev/null 2>&1; then
        return
    fi
    munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
        --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/seed" \
        || die "munged did not start: $(tail -3 "$DIR/log/munged.log" 2>/dev/null)"
    # Slurm's munge plugin talks to the default socket path.
    mkdir -p /run/munge
    ln -sf "$DIR/munge/munge.socket" /run/munge/munge.socket.2
}

start() {
    install_packages
    write_config
    start_munge
    stop_daemons quiet
    slurmctld -f "$CONF" || die "slurmctld did not start: $(tail -5 "$DIR/log/slurmctld.log" 2>/dev/null)"
    slurmd -f "$CONF" || die "slurmd did not start: $(tail -5 "$DIR/log/slurmd.log" 2>/dev/null)"
    for _ in $(seq 1 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qx 'idle'; then
            echo "local-cluster: up, node $(hostname -s) with $(nproc) CPUs (SLURM_CONF=$CONF)" >&2
            return
        fi
        sleep 1
    done
    die "the node never became idle: $(sinfo 2>&1 | tail -2); slurmctld: $(tail -3 "$DIR/log/slurmctld.log" 2>/dev/null); slurmd: $(tail -3 "$DIR/log/slurmd.log" 2>/dev/null)"
}

stop_daemons() {
    for d in slurmd slurmctld; do
        if [ -s "$DIR/run/$d.pid" ]; then
            kill "$(cat "$DIR/run/$d.pid")" 2>/dev/null || true
        fi
        pkill -x "$d" 2>/dev/null || true
    done
    sleep 1
    [ "${1:-}" = quiet ] || echo "local-cluster: slurmctld and slurmd stopped" >&2
}

stop() {
    stop_daemons
    if [ -s "$DIR/run/munged.pid" ]; then
        kill "$(cat "$DIR/run/munged.pid")" 2>/dev/null || true
    fi
    rm -f /run/munge/munge.socket.2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) sinfo && squeue ;;
    *) die "usage: $0 start|stop|status" ;;
esac
