#!/bin/bash
# husk run --rm IMAGE true vs podman run --rm (crun, overlay) on the same cached busybox image; interleaved, N rounds.
set -uo pipefail
D=/var/tmp/imgx-podman; B=/var/tmp/imgx-bench
HUSK=${HUSK:-husk}; N=${N:-20}
. "$(dirname "$0")/podman-env.sh"
S=$D/husk-store; R=$D/husk-state
if [ ! -d $S ]; then $HUSK --storage $S image import --name bb:latest $B/bb/layout >/dev/null; fi
if ! podman image exists localhost/bb:latest; then
  unshare -m --propagation private sh -c "mount -t tmpfs tmpfs /var/lib && podman pull -q oci:$B/bb/layout:latest" >/dev/null
  podman tag "$(podman images -q | head -1)" localhost/bb:latest
fi
# warm both (snapshots, podman layers)
$HUSK --root $R --storage $S run --rm bb:latest true; podman run --rm --pull never --cgroup-parent $CGP localhost/bb:latest true
ms() { local t0=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "FAILED: $*" >&2; echo $(( ($(date +%s%N) - t0) / 100000 )); }
h=(); p=(); w=()
for i in $(seq $N); do
  h+=($(ms $HUSK --root $R --storage $S run --rm bb:latest true))
  p+=($(ms podman run --rm --pull never --cgroup-parent $CGP localhost/bb:latest true))
  w+=($(ms $D/crun-wrapper --version))
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/10}'; }
echo "median ms over $N: husk run --rm IMAGE true $(med "${h[@]}") | podman run --rm (crun) $(med "${p[@]}") | crun wrapper alone $(med "${w[@]}")"
