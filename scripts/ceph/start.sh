#!/usr/bin/env bash
# start.sh - throwaway single-node Ceph (1 mon, 1 osd, 1 radosgw/beast) on loopback.
# Needs the packages from install.sh (ceph-mon ceph-osd radosgw ceph-common). No systemd:
# the daemons are started directly and daemonize themselves, writing PID files to $RGW_DIR/run.
#
# Idempotent: if the cluster in $RGW_DIR is already up and answering, it only prints the
# endpoint/keys; otherwise it stops any leftovers (by PID file), wipes $RGW_DIR and builds anew.
#
# Env knobs (all optional):
#   RGW_DIR        state dir              (default /tmp/dfs-ceph)
#   RGW_PORT       S3 port on 127.0.0.1   (default 7480)
#   MON_PORT       mon msgr2 port         (default 3300; msgr1 is disabled)
#   OSD_BACKEND    bluestore | memstore  (default bluestore on a sparse file $RGW_DIR/osd/ceph-0.block;
#                  memstore = everything in the OSD process RAM, no disk)
#   OSD_SIZE_GB    memstore limit / bluestore file size (default 16)
#                  memstore keeps every stored byte in the OSD's RAM (about 1.5-2x); bluestore does not
#   RGW_ACCESS_KEY / RGW_SECRET_KEY   fixed S3 credentials
#   RGW_LC_DEBUG_INTERVAL  if >0: lifecycle "day" = this many seconds and LC runs all day (tests of LC rules)
#   START_TIMEOUT  seconds to wait for each stage (default 120)
set -euo pipefail

RGW_DIR=${RGW_DIR:-/tmp/dfs-ceph}
RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-3300}
OSD_BACKEND=${OSD_BACKEND:-bluestore}
OSD_SIZE_GB=${OSD_SIZE_GB:-16}
RGW_ACCESS_KEY=${RGW_ACCESS_KEY:-TESTACCESSKEY0000000}
RGW_SECRET_KEY=${RGW_SECRET_KEY:-testSecretKey00000000000000000000000000000}
RGW_LC_DEBUG_INTERVAL=${RGW_LC_DEBUG_INTERVAL:-0}
START_TIMEOUT=${START_TIMEOUT:-120}
HERE=$(cd "$(dirname "$0")" && pwd)

ENDPOINT="http://127.0.0.1:${RGW_PORT}"
CONF="$RGW_DIR/ceph.conf"
CEPH=(timeout 30 ceph -c "$CONF" --connect-timeout 20)

log() { echo "[start-rgw $(date +%T)] $*" >&2; }
die() {
  log "ERROR: $*"
  for f in "$RGW_DIR"/log/*.log; do [ -f "$f" ] && { echo "--- tail $f" >&2; tail -n 20 "$f" >&2; }; done
  RGW_DIR="$RGW_DIR" "$HERE/stop.sh" >&2 || true   # never leave half a cluster running
  exit 1
}

print_result() {
  # last lines: machine-readable (eval-able) endpoint + credentials (RGW accepts any SigV4 region;
  # clients must use path-style addressing, e.g. forcePathStyle: true)
  cat > "$RGW_DIR/s3.env" <<EOF
S3_ENDPOINT=$ENDPOINT
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=$RGW_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$RGW_SECRET_KEY
EOF
  echo "S3 endpoint ready: $ENDPOINT  (env file: $RGW_DIR/s3.env, stop: $HERE/stop.sh)"
  cat "$RGW_DIR/s3.env"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
endpoint_up() { [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$ENDPOINT/")" = 200 ]; }
signed_ok() {  # list buckets with the fixed key (SigV4 via curl --aws-sigv4; curl 7.88 does not
  # send x-amz-content-sha256 itself, RGW needs it -> pass it explicitly)
  [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' --aws-sigv4 'aws:amz:us-east-1:s3' \
        -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
        -u "$RGW_ACCESS_KEY:$RGW_SECRET_KEY" "$ENDPOINT/")" = 200 ]
}
wait_for() {  # wait_for <desc> <cmd...>
  local desc=$1; shift; local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    (( SECONDS - t0 < START_TIMEOUT )) || die "timeout waiting for $desc"
    sleep 0.5
  done
  log "$desc: ok after $((SECONDS - t0))s"
}

case "$OSD_BACKEND" in bluestore|memstore) ;; *) echo "OSD_BACKEND must be bluestore or memstore" >&2; exit 1;; esac
for b in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl; do
  command -v "$b" >/dev/null || { echo "missing $b - run scripts/ceph/install.sh" >&2; exit 1; }
done

# ---- idempotency: already running? -------------------------------------------------------
if alive "$RGW_DIR/run/mon.a.pid" && alive "$RGW_DIR/run/osd.0.pid" \
   && alive "$RGW_DIR/run/client.rgw.a.pid" && endpoint_up && signed_ok; then
  log "cluster in $RGW_DIR already running"
  print_result; exit 0
fi
if [ -d "$RGW_DIR/run" ]; then
  log "stopping leftovers in $RGW_DIR"
  RGW_DIR="$RGW_DIR" "$HERE/stop.sh" >/dev/null 2>&1 || true
fi
if endpoint_up || (exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT") 2>/dev/null; then
  echo "port $RGW_PORT on 127.0.0.1 is taken by something else" >&2; exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$MON_PORT") 2>/dev/null; then
  echo "port $MON_PORT on 127.0.0.1 is taken by something else" >&2; exit 1
fi

case "$RGW_DIR" in /?*/?*) ;; *) echo "RGW_DIR must be an absolute path at least two levels deep" >&2; exit 1;; esac
if [ -d "$RGW_DIR" ] && [ -n "$(ls -A "$RGW_DIR")" ] && [ ! -f "$RGW_DIR/ceph.conf" ]; then
  echo "$RGW_DIR exists, is not empty and is not a cluster made by this script; refusing to wipe it" >&2; exit 1
fi
rm -rf "$RGW_DIR"
mkdir -p "$RGW_DIR"/{run,log,mon,osd/ceph-0,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)

if [ "$OSD_BACKEND" = bluestore ]; then
  OSD_CONF="osd objectstore = bluestore
bluestore block path = $RGW_DIR/osd/ceph-\$id.block
bluestore block create = true
bluestore block size = $((OSD_SIZE_GB * 1024 * 1024 * 1024))
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
bluestore fsck on mkfs = false
bluestore fsck on umount = false
osd memory target = 1073741824
bdev enable discard = false
# each block-device close waits one aio poll period (250 ms); mkfs+mount open/close it ~8 times
bdev aio poll ms = 20"
else
  OSD_CONF="osd objectstore = memstore
memstore device bytes = $((OSD_SIZE_GB * 1024 * 1024 * 1024))"
fi

cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon initial members = a
mon host = v2:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
# radosgw defaults ms_mon_client_mode to 'secure', which AUTH_NONE cannot provide (-> EACCES -13)
ms mon client mode = crc
ms client mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon allow pool delete = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $RGW_DIR/run
pid file = $RGW_DIR/run/\$name.pid
admin socket = $RGW_DIR/run/\$name.asok
log file = $RGW_DIR/log/\$name.log
mon cluster log file = $RGW_DIR/log/cluster.log
crash dir = $RGW_DIR/crash
keyring = /dev/null
log to stderr = false
err to stderr = true
debug ms = 0
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = $RGW_DIR/mon/ceph-\$id
# commit map changes every 0.1 s instead of 1 s: rgw creates 4 pools at first start (8 s -> ~2 s)
paxos propose interval = 0.1

[osd]
osd data = $RGW_DIR/osd/ceph-\$id
# on SIGTERM exit at once instead of waiting up to 5 s to tell a (possibly already stopped) mon
osd fast shutdown notify mon = false
$OSD_CONF

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $RGW_DIR/rgw
rgw thread pool size = 64
rgw enable usage log = false
rgw dns name = 127.0.0.1
debug rgw = 1
EOF
if [ "$RGW_LC_DEBUG_INTERVAL" -gt 0 ]; then
  printf 'rgw lc debug interval = %s\nrgw lifecycle work time = 00:00-23:59\n' "$RGW_LC_DEBUG_INTERVAL" >> "$CONF"
fi

T0=$SECONDS
# ---- mon --------------------------------------------------------------------------------
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$RGW_DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$RGW_DIR/monmap" >"$RGW_DIR/log/mkfs-mon.out" 2>&1 \
  || die "ceph-mon --mkfs failed: $(cat "$RGW_DIR/log/mkfs-mon.out")"
timeout 60 ceph-mon -c "$CONF" -i a 2>>"$RGW_DIR/log/mon.a.stderr" || die "ceph-mon failed to start"
wait_for "mon" "${CEPH[@]}" mon stat

# ---- osd --------------------------------------------------------------------------------
OSD_ID=$("${CEPH[@]}" osd new "$OSD_UUID")
[ "$OSD_ID" = 0 ] || die "unexpected osd id '$OSD_ID'"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$RGW_DIR/log/mkfs-osd.out" 2>&1 \
  || die "ceph-osd --mkfs failed: $(cat "$RGW_DIR/log/mkfs-osd.out")"
timeout 60 ceph-osd -c "$CONF" -i 0 2>>"$RGW_DIR/log/osd.0.stderr" || die "ceph-osd failed to start"
osd_up() { "${CEPH[@]}" osd dump -f json | grep -q '"up":1'; }
wait_for "osd.0 up" osd_up

# ---- rgw --------------------------------------------------------------------------------
timeout 60 radosgw -c "$CONF" -n client.rgw.a 2>>"$RGW_DIR/log/rgw.a.stderr" || die "radosgw failed to start"
wait_for "rgw endpoint $ENDPOINT" endpoint_up

# ---- S3 user with fixed keys --------------------------------------------------------------
timeout 60 radosgw-admin -c "$CONF" -n client.admin user create --uid=test --display-name="Test User" \
  --access-key="$RGW_ACCESS_KEY" --secret-key="$RGW_SECRET_KEY" >"$RGW_DIR/log/user-create.json" 2>&1 \
  || die "radosgw-admin user create failed: $(cat "$RGW_DIR/log/user-create.json")"
wait_for "signed request with test user" signed_ok
log "cluster up in $((SECONDS - T0))s (backend=$OSD_BACKEND, dir=$RGW_DIR)"
print_result
