#!/usr/bin/env bash
# stop.sh - stop the daemons started by start.sh, using only their PID files.
# Usage: stop.sh [--purge]     (--purge also deletes $RGW_DIR: data, logs, config)
set -uo pipefail
RGW_DIR=${RGW_DIR:-/tmp/dfs-ceph}
RUN="$RGW_DIR/run"
pid_of() {  # prints the daemon's pid if its PID file names a live process started with our ceph.conf
  local pf="$RUN/$1.pid" pid
  [ -f "$pf" ] || return 1
  pid=$(cat "$pf")
  # guard against pid reuse: the process must still be the ceph daemon we started
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$RGW_DIR/ceph.conf"; then
    echo "$pid"
  else
    rm -f "$pf"; return 1   # stale
  fi
}

stop_group() {  # SIGTERM the named daemons together, wait up to 15 s, then SIGKILL
  local n pid alive _; local -A P=()
  for n in "$@"; do pid=$(pid_of "$n") && P[$n]=$pid; done
  for n in "${!P[@]}"; do kill -TERM "${P[$n]}" 2>/dev/null; done
  for _ in $(seq 1 150); do
    alive=0; for n in "${!P[@]}"; do kill -0 "${P[$n]}" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.1
  done
  for n in "${!P[@]}"; do
    pid=${P[$n]}
    if kill -0 "$pid" 2>/dev/null; then
      echo "$n (pid $pid) did not exit on SIGTERM, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    echo "stopped $n (pid $pid)"; rm -f "$RUN/$n.pid"
  done
}

# rgw first: its shutdown still talks to the OSD (it hangs if the OSD is already gone);
# then OSD and mon together (osd exits at once: osd_fast_shutdown, no notify to the mon)
stop_group client.rgw.a
stop_group osd.0 mon.a

if [ "${1:-}" = "--purge" ] && [ -d "$RGW_DIR" ]; then
  # only wipe a directory that start.sh made
  if [ -f "$RGW_DIR/ceph.conf" ] || [ -d "$RGW_DIR/run" ]; then rm -rf "$RGW_DIR"; echo "removed $RGW_DIR"
  else echo "not purging $RGW_DIR: not a cluster dir made by start.sh" >&2; fi
fi
