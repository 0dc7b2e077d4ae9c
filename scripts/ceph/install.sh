#!/bin/sh
# Installs the minimal Debian (bookworm) packages for a single-node Ceph RGW.
# Ceph 16.2 from Debian: mon + osd + radosgw + the CLI tools the start script uses.
set -eu
export DEBIAN_FRONTEND=noninteractive
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
[ "${SKIP_APT_UPDATE:-0}" = 1 ] || apt-get update
apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common
