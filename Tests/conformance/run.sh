#!/usr/bin/env bash
# Run the OCI runtime-tools conformance suite (../shared/conformance) on a
# husk binary, keep the results in OUTDIR and compare them with the
# committed expectation Tests/conformance/expected.tsv (columns 1-4:
# program, passed, failed, skipped).
#
#   Tests/conformance/run.sh BINARY OUTDIR [run-validation.sh options...]
#
# SCRIPT (env) overrides the path of run-validation.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
binary="${1:?usage: run.sh BINARY OUTDIR [options...]}"
outdir="${2:?usage: run.sh BINARY OUTDIR [options...]}"
shift 2
script="${SCRIPT:-$repo/../shared/conformance/run-validation.sh}"
expected="$here/expected.tsv"
results_root="${OCI_VALIDATION_DIR:-/var/tmp/oci-validation}/results"

if [[ ! -x "$script" ]]; then
    echo "conformance: SKIPPED: $script not found (it lives in the project's shared dir, not in this repo)"
    exit 0
fi
[[ -x "$binary" ]] || { echo "conformance: error: $binary not found; run 'make build' first" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

marker="$(mktemp)"
trap 'rm -f "$marker"' EXIT
"$script" "$@" "$binary"

# The newest results dir written by this run.
rdir="$(find "$results_root" -mindepth 1 -maxdepth 1 -type d -name "$(basename "$binary")-*" -newer "$marker" \
        -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)"
[[ -n "$rdir" && -f "$rdir/results.tsv" ]] || { echo "conformance: error: no results.tsv found under $results_root" >&2; exit 2; }

mkdir -p "$outdir"
cp "$rdir/results.tsv" "$rdir/summary.txt" "$rdir/failures.txt" "$outdir/"
echo "conformance: results copied from $rdir to $outdir"

# Programs listed in racy.txt (timing-dependent verdicts) are left out of the comparison.
racy="$(grep -v -e '^#' -e '^$' "$here/racy.txt" 2>/dev/null | tr '\n' ' ' || true)"
comparable() {
    cut -f1-4 "$1" | awk -v racy="$racy" 'BEGIN { n = split(racy, a, " "); for (i = 1; i <= n; i++) skip[a[i]] = 1 } !($1 in skip)'
}
[[ -n "$racy" ]] && echo "conformance: not compared (timing-dependent, see Tests/conformance/racy.txt): $racy"

if [[ -f "$expected" ]]; then
    if diff -u --label expected.tsv --label results.tsv <(comparable "$expected") <(comparable "$outdir/results.tsv") >"$outdir/expected.diff"; then
        echo "conformance: results match $expected"
    else
        echo "conformance: results differ from $expected (- expected, + now):"
        cat "$outdir/expected.diff"
        echo "conformance: to accept the new results: make conformance-accept"
        exit 1
    fi
else
    echo "conformance: no $expected yet; to record these results: make conformance-accept"
fi
