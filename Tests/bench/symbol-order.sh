#!/usr/bin/env bash
# Writes Sources/husk.order: the functions husk runs on its everyday paths, in the order they
# first run, for the linker (lld --symbol-ordering-file, see the Makefile). husk is one static
# binary and the kernel maps its text in 64-256 KiB chunks on each fault, so code spread over
# the binary makes every run map megabytes of it: packing the hot functions together cut the
# peak RSS of `husk run` from 6.6 to 4.8 MiB. A stale list only costs locality, never
# correctness: symbols it names that no longer exist are skipped.
#
# Usage (as root, after `make build`): Tests/bench/symbol-order.sh [bin/husk] [OUT]
# Needs valgrind (callgrind lists every function a run executes) and busybox-static.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
husk=$(realpath "${1:-bin/husk}")
out=${2:-Sources/husk.order}
command -v valgrind >/dev/null || { echo "symbol-order: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

work=$(mktemp -d /tmp/husk-order.XXXXXX)
root=$work/state
cleanup() {
    "$husk" --root "$root" delete --force order-c >/dev/null 2>&1 || true
    "$husk" --root "$root" delete --force order-d >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# valgrind cannot read the DWARF 5 of Swift's debug info: profile a copy without it.
strip --strip-debug -o "$work/husk" "$husk"
rootfs-examples/busybox/build.sh "$work/true" '["true"]' >/dev/null
rootfs-examples/busybox/build.sh "$work/sleep" '["sleep","60"]' >/dev/null
n=10
profile() {  # profile ARGS...: one husk command under callgrind (it may fail where valgrind lacks a syscall)
    n=$((n + 1))
    valgrind --tool=callgrind --demangle=no -q --callgrind-out-file="$work/cg.$(printf %02d $n)" \
        "$work/husk" --root "$root" "$@" >/dev/null 2>&1 </dev/null || true
}
# Start-up first (what every command runs), then `run`'s path, then the verbs engines call for
# every container.
profile --version
profile run --bundle "$work/true" order-r
# The container's own set-up is C in the child, which valgrind cannot follow through namespaces;
# the verbs after create run on a container made without valgrind.
"$husk" --root "$root" create --bundle "$work/sleep" order-c
profile state order-c
profile start order-c
"$husk" --root "$root" start order-c 2>/dev/null || true
profile exec order-c true
profile kill order-c KILL
sleep 0.2
profile delete order-c
profile create --bundle "$work/sleep" order-c
"$husk" --root "$root" delete --force order-c >/dev/null 2>&1 || true
"$husk" --root "$root" create --bundle "$work/sleep" order-c
"$husk" --root "$root" start order-c
profile list
profile ps
profile events --stats order-c
profile pause order-c
profile resume order-c
profile update --pids-limit 100 order-c
profile delete --force order-c
profile run -d --bundle "$work/sleep" order-d
profile delete --force order-d
(cd "$work" && profile spec)

python3 - "$work" "$out" <<'PY'
import glob, re, sys
work, out = sys.argv[1], sys.argv[2]
# First, packed together: the supervisor's steady-state loop (Sources/CHusk/supervise_loop.c)
# and the libc calls it makes. A supervisor lives as long as its container and drops every
# other page before the loop, so its RSS is whatever these few KiB of code pull back in.
# (valgrind cannot follow a supervisor, whose container set-up it cannot run.)
supervisor = """husk_sup_loop husk_sup_read_signal husk_sup_release_startup_memory drop_clean_image_pages
    poll __poll read __libc_read write __libc_write waitpid __waitpid kill close __close
    fstat __fstat64 ftruncate ftruncate64 rename clock_gettime __clock_gettime __errno_location
    __memcpy_avx_unaligned_erms __memset_avx2_unaligned_erms __strlen_avx2 open __libc_open64
    madvise pread pread64 sysconf""".split()
seen, names = set(supervisor), list(supervisor)
for path in sorted(glob.glob(work + "/cg.*")):
    for line in open(path, errors="replace"):
        m = re.match(r"^c?fn=\(\d+\) (\S+)", line)
        if not m:
            continue
        name = m.group(1).split("'")[0]  # callgrind marks recursion levels as NAME'2
        if name.startswith("0x") or name in seen:
            continue
        seen.add(name)
        names.append(name)
with open(out, "w") as f:
    f.write("\n".join(names) + "\n")
print(f"symbol-order: {len(names)} functions -> {out}")
PY
