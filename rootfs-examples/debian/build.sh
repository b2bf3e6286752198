#!/usr/bin/env bash
# Build an OCI bundle with a minimal Debian (debootstrap --variant=minbase).
#
#   rootfs-examples/debian/build.sh [OUTDIR] [ARGS_JSON]
#
# Needs network access to a Debian mirror (MIRROR, default deb.debian.org)
# and takes a few minutes; not used by `make test` (a test uses its output when it exists).
# SUITE defaults to bookworm; INCLUDE adds packages (comma-separated, e.g. INCLUDE=make,gcc).
# config.json is the busybox example's (same defaults, same arguments).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/rootfs-examples/out/debian}"
args="${2:-${HUSK_ARGS:-[\"bash\"]}}"
suite="${SUITE:-bookworm}"
include="${INCLUDE:-}"
mirror="${MIRROR:-http://deb.debian.org/debian}"

[[ "$(id -u)" = 0 ]] || { echo "debian/build.sh: error: run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap </dev/null; }

mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
tmp="$(mktemp -d "$out.tmp.XXXXXX")"
cleanup() {  # debootstrap mounts /proc and /sys in the target: never rm through them
    awk -v t="$tmp/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# config.json from the busybox script, then a Debian rootfs in its place.
"$repo/rootfs-examples/busybox/build.sh" "$tmp/bundle" "$args" >/dev/null
rm -rf "$tmp/bundle/rootfs"
debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$tmp/bundle/rootfs" "$mirror"
echo husk >"$tmp/bundle/rootfs/etc/hostname"

rm -rf "$out"
mv "$tmp/bundle" "$out"
echo "bundle ready: $out (debian $suite, args: $args)"
