#!/bin/sh
# The lowest memory limit under which `RUNTIME run` of /bin/true in a busybox bundle still
# succeeds: bisects linux.resources.memory.limit (v1: memory.limit_in_bytes; v2: memory.max) in
# 4 KiB pages. A limit counts as working when TRIES runs in a row exit 0. Run as root.
#
#   Tests/bench/min-memory.sh [RUNTIME]      (default: ./bin/husk; e.g. $(which runc))
#   TRIES=5 HI=$((64<<20)) Tests/bench/min-memory.sh .build/release/husk
#
# swap is set equal to the limit (no swapping to get under it). Page cache of the busybox binary
# is charged to the cgroup that first reads it, so the first probe runs with a cold bundle copy
# and later ones warm; the number is for warm starts (what repeated container starts see).
set -eu
RUNTIME=${1:-${HUSK_BINARY:-./bin/husk}}
RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME")
TRIES=${TRIES:-3}
HI=${HI:-$((64 << 20))}
PAGE=4096
[ "$(id -u)" = 0 ] || { echo "min-memory.sh: run as root" >&2; exit 1; }
[ -x "$RUNTIME" ] || { echo "min-memory.sh: $RUNTIME is not executable" >&2; exit 1; }
BUSYBOX=$(command -v busybox)

WORK=$(mktemp -d /var/tmp/husk-minmem-XXXXXX)
STATE=$WORK/state
N=0
cleanup() {
    for d in "$STATE"/*/; do
        [ -d "$d" ] && "$RUNTIME" --root "$STATE" delete --force "$(basename "$d")" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/bundle/rootfs/bin" "$WORK/bundle/rootfs/proc" "$WORK/bundle/rootfs/dev" "$WORK/bundle/rootfs/sys"
cp "$BUSYBOX" "$WORK/bundle/rootfs/bin/busybox"
ln -s busybox "$WORK/bundle/rootfs/bin/true"
ln -s busybox "$WORK/bundle/rootfs/bin/sh"

config() { # $1 = limit in bytes
    python3 - "$WORK/bundle/config.json" "$1" <<'PY'
import json, sys
path, limit = sys.argv[1], int(sys.argv[2])
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
config = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
                "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": True,
                "capabilities": {k: caps for k in ("bounding", "effective", "permitted", "ambient")}},
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "minmem",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755", "size=65536k"]}],
    "linux": {"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
              "resources": {"memory": {"limit": limit, "swap": limit}}},
}
json.dump(config, open(path, "w"))
PY
}

works() { # $1 = limit; 0 if TRIES runs in a row exit 0
    config "$1"
    i=0
    while [ $i -lt "$TRIES" ]; do
        N=$((N + 1))
        if ! timeout 20 "$RUNTIME" --root "$STATE" run --bundle "$WORK/bundle" "minmem-$$-$N" >"$WORK/out" 2>&1; then
            "$RUNTIME" --root "$STATE" delete --force "minmem-$$-$N" >/dev/null 2>&1 || true
            return 1
        fi
        "$RUNTIME" --root "$STATE" delete --force "minmem-$$-$N" >/dev/null 2>&1 || true
        i=$((i + 1))
    done
}

works "$HI" || { echo "min-memory.sh: $RUNTIME fails even at $HI bytes:" >&2; cat "$WORK/out" >&2; exit 1; }
lo=0; hi=$((HI / PAGE))   # in pages: lo fails (or is 0), hi works
while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    if works $((mid * PAGE)); then hi=$mid; r=ok; else lo=$mid; r=fails; fi
    printf '  %8d KiB: %s\n' $((mid * PAGE / 1024)) "$r" >&2
done
config $((lo * PAGE)); works $((lo * PAGE)) || true
printf '%s: lowest working memory limit %d KiB (%d bytes); at %d KiB: %s\n' \
    "$(basename "$RUNTIME")" $((hi * PAGE / 1024)) $((hi * PAGE)) $((lo * PAGE / 1024)) "$(tr '\n' ' ' < "$WORK/out" | cut -c1-200)"
