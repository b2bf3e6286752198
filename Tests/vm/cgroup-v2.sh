#!/usr/bin/env bash
# The cgroup tests on a real cgroup v2 machine. On a v2 host `make test` already runs them
# natively; on a hybrid host (v1 controllers, like the project's machines) they run in the
# QEMU guest of ../shared/vm when that harness is present, and are skipped otherwise.
#   Tests/vm/cgroup-v2.sh            (after `make build` and `swift build --build-tests`)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
filter='CgroupsV2|CgroupTests|CgroupV2ProofTests|PauseTests|UpdateTests|EventsTests|ExecTests'

if [[ -e /sys/fs/cgroup/cgroup.controllers ]]; then
    echo "cgroup v2: this host is cgroup v2; make test ran these tests natively"
    exit 0
fi
vm="$repo/../shared/vm/run-in-vm.sh"
if [[ ! -x "$vm" ]]; then
    echo "cgroup v2: SKIPPED: hybrid host and no ../shared/vm/run-in-vm.sh to boot a cgroup v2 guest"
    exit 0
fi
bundle="$(swift build --show-bin-path)/huskPackageTests.xctest"
[[ -x "$bundle" ]] || { echo "cgroup v2: error: $bundle missing; run swift build --build-tests first" >&2; exit 2; }
[[ -x bin/husk ]] || { echo "cgroup v2: error: bin/husk missing; run make build first" >&2; exit 2; }

echo "cgroup v2: running '$filter' in a cgroup v2 guest (software-emulated: a few minutes)"
set +e
# Serial: under emulation each command is 20-50x slower, and the tests' timeouts assume one at a time.
"$vm" -t 1500 "HUSK_BINARY=$repo/bin/husk '$bundle' --testing-library swift-testing --no-parallel --filter '$filter'"
rc=$?
set -e
if [[ $rc -eq 125 ]]; then
    echo "cgroup v2: SKIPPED: the guest did not boot (run-in-vm.sh exit 125; see its message above)"
    exit 0
fi
exit $rc
