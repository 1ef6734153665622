#!/usr/bin/env bash
# Stop the single-node SLURM cluster that cluster/start_slurm.sh started.
#
# Usage: cluster/stop_slurm.sh [--dir DIR] [--purge]
#
#   --dir DIR   the scratch folder given to start_slurm.sh
#               (default: $INTERCAL_SLURM_DIR or /tmp/intercal-slurm)
#   --purge     also delete DIR (config, state, logs, accounting database)
#
# Every daemon is stopped by its own pid file (slurmd, slurmctld, slurmdbd,
# mariadbd, munged: the reverse of the start order), first with SIGTERM, then,
# after 15 s, SIGKILL. Daemons that this script did not start are left alone.
set -uo pipefail

DIR="${INTERCAL_SLURM_DIR:-/tmp/intercal-slurm}"
PURGE=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dir) DIR="$2"; shift 2 ;;
        --purge) PURGE=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "stop_slurm.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

stop_by_pidfile() { # name pidfile
    local name=$1 pidfile=$2 pid
    [[ -s "$pidfile" ]] || return 0
    pid="$(tr -dc '0-9' <"$pidfile")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "[stop_slurm] $name (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
        echo "[stop_slurm] stopped $name (pid $pid)" >&2
    fi
    rm -f "$pidfile"
}

stop_by_pidfile slurmd "$DIR/run/slurmd.pid"
stop_by_pidfile slurmctld "$DIR/run/slurmctld.pid"
stop_by_pidfile slurmdbd "$DIR/run/slurmdbd.pid"
stop_by_pidfile mariadbd "$DIR/mysqld/mysqld.pid"
stop_by_pidfile munged "$DIR/munge/munged.pid"

# the link that start_slurm.sh made (only if it still points into DIR)
if [[ -L /etc/slurm/slurm.conf && "$(readlink /etc/slurm/slurm.conf)" == "$DIR/etc/slurm.conf" ]]; then
    rm -f /etc/slurm/slurm.conf
fi

if [[ $PURGE == 1 && -d "$DIR" ]]; then
    rm -rf "$DIR"
    echo "[stop_slurm] removed $DIR" >&2
fi
exit 0
