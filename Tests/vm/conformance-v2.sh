#!/usr/bin/env bash
# The OCI runtime-tools cgroup programs (linux_cgroups_*, delete_resources) against husk on real
# cgroup v2: in ../shared/vm's guest on a hybrid host, natively on a v2 host. It reuses the
# suite that `make conformance` built (../shared/conformance, in /var/tmp/oci-validation) and
# prints one line per program (passed, failed, skipped, exit) like run-validation.sh.
#   Tests/vm/conformance-v2.sh [bin/husk]         (after `make build` and `make conformance`)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
suite="${OCI_VALIDATION_DIR:-/var/tmp/oci-validation}/suite"
programs="delete_resources $(cd "$suite/validation" 2>/dev/null && ls linux_cgroups_*.t 2>/dev/null | sed 's/\.t$//' | tr '\n' ' ')"

if [[ "${1:-}" == "--in-guest" ]]; then
    husk="$2"
    cd "$suite"
    printf '%-36s %6s %6s %7s %5s\n' PROGRAM PASS FAIL SKIP EXIT
    for name in $programs; do
        set +e
        RUNTIME="$husk" TMPDIR=/tmp timeout -k 5 120 "./validation/$name.t" > "/tmp/$name.tap" 2> "/tmp/$name.err" < /dev/null
        rc=$?
        set -e
        read -r p f s < <(awk '/^ok [0-9]+/ { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
                               /^not ok [0-9]+/ { if ($0 ~ /# TODO/) s++; else f++ }
                               END { printf "%d %d %d\n", p, f, s }' "/tmp/$name.tap")
        printf '%-36s %6d %6d %7d %5d\n' "$name" "$p" "$f" "$s" "$rc"
        grep -m 3 -A 3 '^not ok' "/tmp/$name.tap" | sed 's/^/    /' || true
        [[ "$rc" -eq 0 || -s "/tmp/$name.tap" ]] || sed -n 1,3p "/tmp/$name.err" | sed 's/^/    stderr: /'
    done
    exit 0
fi

husk="$(readlink -f "${1:-$repo/bin/husk}")"
[[ -d "$suite/validation" ]] || { echo "conformance v2: SKIPPED: no suite in $suite (run 'make conformance' once)"; exit 0; }
[[ -x "$husk" ]] || { echo "conformance v2: error: $husk missing; run make build first" >&2; exit 2; }
if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
    exec "$0" --in-guest "$husk"
fi
vm="$repo/../shared/vm/run-in-vm.sh"
[[ -x "$vm" ]] || { echo "conformance v2: SKIPPED: hybrid host and no ../shared/vm/run-in-vm.sh"; exit 0; }
echo "conformance v2: the cgroup programs in a cgroup v2 guest (software-emulated: a few minutes)"
exec "$vm" -t 1500 -- "$repo/Tests/vm/conformance-v2.sh" --in-guest "$husk"
