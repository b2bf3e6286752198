#!/usr/bin/env bash
# Writes Sources/husk.order: the functions husk runs on its everyday paths, in the order they
# first run, for the linker (lld --symbol-ordering-file, see the Makefile). husk is one static
# binary and the kernel maps its text 64 KiB at a time on each fault (fault-around), so code
# spread over the binary makes every run map megabytes of it: the release build gives every
# function its own section and this list packs the hot ones together. `husk run`'s functions
# come first (its peak RSS is the one we measure), then what the other verbs add. A stale list
# only costs locality, never correctness: symbols it names that no longer exist are skipped.
#
# Usage (as root, after `make build`): Tests/bench/symbol-order.sh [bin/husk] [OUT]
# Needs a C compiler (cc, or the Swift toolchain's clang), nm (binutils), valgrind and busybox-static.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
husk=$(realpath "${1:-bin/husk}")
out=${2:-Sources/husk.order}
cc=${CC:-$(command -v cc || command -v clang || true)}
[ -n "$cc" ] || { echo "symbol-order: needs a C compiler (cc or clang) for Tests/bench/fntrace.c" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "symbol-order: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

work=$(mktemp -d /tmp/husk-order.XXXXXX)
root=$work/state
cleanup() {
    "$husk" --root "$root" delete --force order-c >/dev/null 2>&1 || true
    "$husk" --root "$root" delete --force order-d >/dev/null 2>&1 || true
    "$husk" --root "$root" delete --force order-v >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# fntrace (next to this script) breaks on every function's entry once: it sees everything a
# real run executes, in husk's forks too (the container's child, the supervisor).
"$cc" -O2 -o "$work/fntrace" Tests/bench/fntrace.c
nm --defined-only "$husk" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' >"$work/syms"
rootfs-examples/busybox/build.sh "$work/true" '["true"]' >/dev/null
rootfs-examples/busybox/build.sh "$work/sleep" '["sleep","60"]' >/dev/null
n=10
profile() {  # profile ARGS...: the functions one husk command runs, into $work/hits.NN
    n=$((n + 1))
    timeout 60 "$work/fntrace" "$work/syms" "$work/hits.$n" "$husk" --root "$root" "$@" >/dev/null 2>&1 </dev/null || true
}
# Commands that leave a supervisor behind (create, run -d) are traced in the background: the
# supervisor lives as long as its container and is traced until a later `delete` ends it.
tracers=()
profile_bg() {  # profile_bg ID ARGS...: as profile, without waiting; returns once ID exists
    local id=$1
    shift
    n=$((n + 1))
    timeout 120 "$work/fntrace" "$work/syms" "$work/hits.$n" "$husk" --root "$root" "$@" >/dev/null 2>&1 </dev/null &
    tracers+=($!)
    for _ in $(seq 100); do "$husk" --root "$root" state "$id" >/dev/null 2>&1 && break; sleep 0.1; done
    sleep 0.5
}
# `run` first (start-up included), then the verbs engines call for every container.
profile run --bundle "$work/true" order-r
[ -s "$work/hits.$n" ] || { echo "symbol-order: tracing 'husk run' saw no function (not root? no ptrace?)" >&2; exit 1; }
profile --version
profile_bg order-c create --bundle "$work/sleep" order-c
profile state order-c
profile start order-c
profile exec order-c true
profile kill order-c KILL
sleep 0.2
profile delete order-c
"$husk" --root "$root" create --bundle "$work/sleep" order-c
"$husk" --root "$root" start order-c
profile list
profile ps
profile events --stats order-c
profile pause order-c
profile resume order-c
profile update --pids-limit 100 order-c
profile delete --force order-c
profile_bg order-d run -d --bundle "$work/sleep" order-d
profile delete --force order-d
# A CI job's throw-away container, after the everyday verbs: its own code then sits together too
# (fewer page faults on each sandbox's start).
profile sandbox --rootfs "$work/true/rootfs" --tmp-dir "$work/sbx" -- /bin/true
wait "${tracers[@]}" || true
(cd "$work" && profile spec)
# Data too: lld orders the data sections that hold the listed symbols (C's own with
# -fdata-sections, the Swift runtime's tables, whole sections of the rest), so the data `run`
# reads (valgrind's lackey lists every load and store; valgrind cannot read Swift's DWARF 5,
# so it runs a copy without it) gathers in a few 64 KiB windows instead of lying among cold
# tables. Only the addresses of the binary's own image are kept.
strip --strip-debug -o "$work/husk-nodebug" "$husk"
valgrind --tool=lackey --trace-mem=yes "$work/husk-nodebug" --root "$root" run --bundle "$work/true" order-v \
    2>&1 >/dev/null </dev/null | awk '$1 == "L" || $1 == "S" || $1 == "M" { sub(/,.*/, "", $2); print $2 }' \
    | awk '!seen[$0]++' >"$work/data-addrs" || true
[ -s "$work/data-addrs" ] || { echo "symbol-order: valgrind saw no data access of husk run" >&2; exit 1; }
nm -n --defined-only "$husk" | awk '$2 ~ /^[dDbBrRvV]$/ { print $1, $3 }' >"$work/data-syms"

python3 - "$work" "$out" <<'PY'
import collections, glob, sys
work, out = sys.argv[1], sys.argv[2]
names = collections.defaultdict(list)  # address -> every symbol there (aliases)
for line in open(work + "/syms"):
    addr, name = line.split(None, 1)
    names[int(addr, 16)].append(name.strip())
# First, packed together: the supervisor's steady-state loop (Sources/CHusk/supervise_loop.c)
# and the libc calls it makes. A supervisor lives as long as its container and drops every
# other page before the loop, so its RSS is whatever these few KiB of code pull back in.
supervisor = """husk_sup_loop husk_sup_read_signal husk_sup_release_startup_memory drop_clean_image_pages
    poll __poll read __libc_read write __libc_write waitpid __waitpid kill close __close
    fstat __fstat64 ftruncate ftruncate64 rename clock_gettime __clock_gettime __errno_location
    __memcpy_avx_unaligned_erms __memset_avx2_unaligned_erms __strlen_avx2 open __libc_open64
    madvise pread pread64 sysconf""".split()
seen, order = set(supervisor), list(supervisor)
for path in sorted(glob.glob(work + "/hits.*")):
    for line in open(path):
        for name in names.get(int(line, 16), []):
            if name not in seen:
                seen.add(name)
                order.append(name)
# Then the data symbols, in the order `run` first touches them: each address to the symbol
# that starts at or before it.
import bisect
data = [(int(a, 16), n.strip()) for a, n in (l.split(None, 1) for l in open(work + "/data-syms"))]
starts = [a for a, _ in data]
end = max((a for a, n in data if n == "_end"), default=starts[-1])  # past it: heap, stack
for line in open(work + "/data-addrs"):
    addr = int(line, 16)
    i = bisect.bisect_right(starts, addr) - 1
    if i >= 0 and addr < end and data[i][1] not in seen:
        seen.add(data[i][1])
        order.append(data[i][1])
with open(out, "w") as f:
    f.write("\n".join(order) + "\n")
print(f"symbol-order: {len(order)} functions and data symbols -> {out}")
PY
