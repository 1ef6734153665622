#!/usr/bin/env bash
# Start a single-node SLURM cluster on localhost, from scratch, without systemd.
#
# Usage: cluster/start_slurm.sh [--no-accounting] [--dir DIR]
#
#   --dir DIR          scratch folder for config, state, spool, logs and pid files
#                      (default: $INTERCAL_SLURM_DIR or /tmp/intercal-slurm)
#   --no-accounting    skip MariaDB + slurmdbd; then `sacct` knows no jobs and
#                      snakemake needs `--slurm-status-command squeue`
#
# Needs root and apt (Debian 12). Installs, if missing, the Debian packages
# slurmctld slurmd slurm-client munge (and slurmdbd mariadb-server for accounting)
# with --no-install-recommends, writes slurm.conf (node line from `slurmd -C`) into
# the scratch folder, starts munged, [mariadbd, slurmdbd,] slurmctld and slurmd by
# hand and waits until `sinfo` shows the node idle. Every daemon writes a pid file
# under DIR/run; cluster/stop_slurm.sh stops them by these pid files.
#
# Clients (sinfo, sbatch, snakemake) find the cluster through SLURM_CONF:
#   source DIR/env.sh      # exports SLURM_CONF=DIR/etc/slurm.conf
set -euo pipefail

DIR="${INTERCAL_SLURM_DIR:-/tmp/intercal-slurm}"
ACCOUNTING=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dir) DIR="$2"; shift 2 ;;
        --no-accounting) ACCOUNTING=0; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "start_slurm.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

log() { echo "[start_slurm] $*" >&2; }
die() { echo "[start_slurm] ERROR: $*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || die "needs root (daemons run as root/munge/mysql); found uid $(id -u)"
command -v apt-get >/dev/null || die "needs apt-get (Debian/Ubuntu) to install SLURM"

# ---------------------------------------------------------------- packages
PKGS=(slurmctld slurmd slurm-client munge)
[[ $ACCOUNTING == 1 ]] && PKGS+=(slurmdbd mariadb-server)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"/tmp/start_slurm_apt.log" 2>&1; then
        apt-get update -qq >>"/tmp/start_slurm_apt.log" 2>&1 || true
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"/tmp/start_slurm_apt.log" 2>&1 \
            || { tail -n 20 /tmp/start_slurm_apt.log >&2; die "apt-get install ${missing[*]} failed"; }
    fi
    # postinst cannot start services here (no systemd); stop whatever a
    # sysvinit script may have started so that only our daemons run
    service mariadb stop >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- layout
mkdir -p "$DIR"/{etc,state,spool,log,run}
DIR="$(cd "$DIR" && pwd)"
CONF="$DIR/etc/slurm.conf"
echo "export SLURM_CONF=$CONF" >"$DIR/env.sh"
export SLURM_CONF="$CONF"

alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() { # seconds, description, command...
    local n=$1 what=$2; shift 2
    for _ in $(seq 1 $((n * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
    die "$what did not come up within ${n}s"
}

if alive "$DIR/run/slurmctld.pid" && alive "$DIR/run/slurmd.pid"; then
    log "cluster in $DIR already running"
fi

# ---------------------------------------------------------------- munge
[[ -s /etc/munge/munge.key ]] || {
    log "creating /etc/munge/munge.key"
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
}
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 "$DIR/munge"
if alive "$DIR/munge/munged.pid"; then
    :
elif [[ -S /run/munge/munge.socket.2 ]] && munge -n </dev/null | unmunge >/dev/null 2>&1; then
    log "using the munged that is already running"
else
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock
    runuser -u munge -- /usr/sbin/munged --pid-file="$DIR/munge/munged.pid" \
        --log-file="$DIR/munge/munged.log" \
        || die "munged failed to start; see $DIR/munge/munged.log"
    wait_for 10 munged bash -c 'munge -n </dev/null | unmunge'
fi

HOST="$(hostname -s)"
CLUSTER=intercal

# ---------------------------------------------------------------- accounting
if [[ $ACCOUNTING == 1 ]]; then
    install -d -o mysql -g mysql -m 0755 /run/mysqld "$DIR/mysql" "$DIR/mysqld"
    if ! alive "$DIR/mysqld/mysqld.pid"; then
        if mariadb-admin --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; then
            die "a MariaDB server not started by this script already listens on /run/mysqld/mysqld.sock; stop it or use --no-accounting"
        fi
        if [[ ! -d "$DIR/mysql/mysql" ]]; then
            log "initialising MariaDB data in $DIR/mysql"
            mariadb-install-db --user=mysql --datadir="$DIR/mysql" \
                --auth-root-authentication-method=socket --skip-test-db \
                >"$DIR/log/mariadb-install.log" 2>&1 \
                || { tail -n 20 "$DIR/log/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
        fi
        # no TCP port: slurmdbd talks to it over the socket /run/mysqld/mysqld.sock
        mariadbd --user=mysql --datadir="$DIR/mysql" --skip-networking \
            --socket=/run/mysqld/mysqld.sock --pid-file="$DIR/mysqld/mysqld.pid" \
            --log-error="$DIR/mysqld/mariadb.log" \
            --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
            >/dev/null 2>&1 &
        wait_for 30 MariaDB mariadb-admin --socket=/run/mysqld/mysqld.sock ping
    fi
    # slurmdbd reads slurmdbd.conf from the folder of $SLURM_CONF
    cat >"$DIR/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=${SLURMDBD_PORT:-6819}
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=$DIR/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
DebugLevel=info
EOF
    chmod 600 "$DIR/etc/slurmdbd.conf"
    if ! alive "$DIR/run/slurmdbd.pid"; then
        SLURM_CONF="$CONF" slurmdbd \
            || die "slurmdbd failed to start; see $DIR/log/slurmdbd.log"
    fi
fi

# ---------------------------------------------------------------- slurm.conf
NODE_LINE="$(slurmd -C | head -1)"
[[ "$NODE_LINE" == NodeName=* ]] || die "slurmd -C printed no node line: $NODE_LINE"
{
    cat <<EOF
# Written by cluster/start_slurm.sh: single-node test cluster (no systemd, no cgroups).
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=300
SlurmdTimeout=60
InactiveLimit=0
KillWait=10
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
EOF
    if [[ $ACCOUNTING == 1 ]]; then
        cat <<EOF
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=${SLURMDBD_PORT:-6819}
EOF
    else
        echo "AccountingStorageType=accounting_storage/none"
    fi
    echo "$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN"
    echo "PartitionName=${SLURM_TEST_PARTITION:-debug} Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
} >"$CONF.tmp"
mv "$CONF.tmp" "$CONF"
# Commands inside jobs do not see SLURM_CONF (snakemake's jobstep executor drops
# SLURM_* variables before it calls srun), so the config must also be found at
# the compiled-in path /etc/slurm/slurm.conf: link it there unless a real
# cluster's config is in place (stop_slurm.sh removes only our own link).
if [[ -L /etc/slurm/slurm.conf && "$(readlink /etc/slurm/slurm.conf)" == "$CONF" ]]; then
    :
elif [[ -e /etc/slurm/slurm.conf || -L /etc/slurm/slurm.conf ]]; then
    die "/etc/slurm/slurm.conf exists and is not this test cluster's; refusing to replace it"
else
    mkdir -p /etc/slurm
    ln -s "$CONF" /etc/slurm/slurm.conf
fi

if [[ $ACCOUNTING == 1 ]]; then
    wait_for 30 slurmdbd sacctmgr -n list cluster
    if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
        sacctmgr -i add cluster "$CLUSTER" >/dev/null
    fi
    if ! sacctmgr -n -P list account format=account | grep -qx "$CLUSTER"; then
        sacctmgr -i add account "$CLUSTER" Description="intercal test" Organization=intercal >/dev/null
    fi
    # root exists in account "root" from the start; also give it account "intercal"
    # so that `slurm_account: intercal` is a valid choice (sacctmgr validates it)
    if ! sacctmgr -n -P list assoc user=root format=account | grep -qx "$CLUSTER"; then
        sacctmgr -i add user root Account="$CLUSTER" >/dev/null
    fi
fi

# ---------------------------------------------------------------- slurmctld, slurmd
if ! alive "$DIR/run/slurmctld.pid"; then
    slurmctld -f "$CONF" || die "slurmctld failed to start; see $DIR/log/slurmctld.log"
fi
wait_for 30 slurmctld scontrol ping
if ! alive "$DIR/run/slurmd.pid"; then
    slurmd -f "$CONF" || die "slurmd failed to start; see $DIR/log/slurmd.log"
fi

# ---------------------------------------------------------------- wait for idle
for _ in $(seq 1 120); do
    state="$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)"
    case "$state" in
        idle | mix | alloc) break ;;
        down* | drain* | fail*) scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
[[ "$state" == idle || "$state" == mix || "$state" == alloc ]] \
    || { tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2; die "node state is '$state', not idle"; }
log "cluster '$CLUSTER' up in $DIR (node $HOST $state, accounting=$ACCOUNTING)"
log "clients need: export SLURM_CONF=$CONF   (or: source $DIR/env.sh)"
sinfo >&2
