#!/usr/bin/env bash
# Build an OCI bundle (rootfs/ + config.json) from Debian's busybox-static.
#
#   rootfs-examples/busybox/build.sh [OUTDIR] [ARGS_JSON]
#
# OUTDIR     default: rootfs-examples/out/busybox (relative to the repo root)
# ARGS_JSON  process.args as a JSON array; default: $HUSK_ARGS, else ["sh"]
#            e.g. '["sh","-c","echo hello from $(hostname)"]'
# OCI_VERSION (env) ociVersion to write; default 1.2.0 (crun 1.8.1, Debian 12's,
#            rejects 1.2.0: use OCI_VERSION=1.1.0 for it; the fields are the same)
#
# The bundle is rebuilt from scratch on every run. config.json mirrors
# `runc spec` (OCI runtime-spec 1.2) with terminal=false, hostname "husk",
# and no linux.resources / cgroupsPath.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/rootfs-examples/out/busybox}"
args="${2:-${HUSK_ARGS:-[\"sh\"]}}"
busybox="${BUSYBOX:-/bin/busybox}"
oci_version="${OCI_VERSION:-1.2.0}"

[[ -x "$busybox" ]] || die "$busybox not found; install it with: apt-get install busybox-static (or: make deps)"
file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked' && die "$busybox is dynamically linked; install busybox-static"
[[ "$args" =~ ^[[:space:]]*\[.*\][[:space:]]*$ ]] || die "ARGS_JSON must be a JSON array, got: $args"

mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
tmp="$(mktemp -d "$out.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# --- rootfs ---------------------------------------------------------------
rootfs="$tmp/rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,var,run}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
# `busybox --list-full` gives paths like usr/bin/env; fall back to bin/ for --list.
if applets="$("$busybox" --list-full 2>/dev/null)" && [[ -n "$applets" ]]; then
    while read -r path; do
        [[ "$path" == bin/busybox || -e "$rootfs/$path" ]] && continue
        mkdir -p "$rootfs/$(dirname "$path")"
        ln -s /bin/busybox "$rootfs/$path"
    done <<<"$applets"
else
    while read -r name; do
        [[ "$name" == busybox || -e "$rootfs/bin/$name" ]] && continue
        ln -s busybox "$rootfs/bin/$name"
    done < <("$busybox" --list)
fi
cat >"$rootfs/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$rootfs/etc/group" <<'G'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
G
echo husk >"$rootfs/etc/hostname"

# --- config.json (like `runc spec`, OCI runtime-spec 1.2) -------------------
cat >"$tmp/config.json" <<JSON
{
  "ociVersion": "$oci_version",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": $args,
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "husk",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"] }
  ],
  "linux": {
    "namespaces": [
      { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
      { "type": "uts" }, { "type": "mount" }
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
}
JSON
if command -v jq >/dev/null; then
    jq -e . "$tmp/config.json" >/dev/null || die "generated config.json is not valid JSON (check ARGS_JSON: $args)"
fi

# --- swap into place --------------------------------------------------------
rm -rf "$out"
mv "$tmp" "$out"
chmod 0755 "$out"
trap - EXIT
echo "bundle ready: $out (args: $args)"
