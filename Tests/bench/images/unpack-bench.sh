#!/bin/bash
# Unpack throughput on ./layout (3 gzip layers, 720 MB / 56k entries uncompressed): husk before
# and after (snapshots: a cold `run --rm` minus a warm one), umoci raw unpack, umoci unpack,
# GNU tar -xzf per layer. Interleaved, N rounds; times in ms.
set -uo pipefail
cd "$(dirname "$0")"
N=${N:-2}
W=/var/tmp/imgx-bench/work
ms() { local t0=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
husk_unpack() {
  rm -rf $W/store $W/state; $1 --storage $W/store image import --name big:big layout >/dev/null
  local cold=$(ms $1 --root $W/state --storage $W/store run --rm big:big /bin/true)
  local warm=$(ms $1 --root $W/state --storage $W/store run --rm big:big /bin/true)
  [ "$(ls $W/store/snapshots | wc -l)" = 3 ] || echo "husk: snapshots missing" >&2
  echo $((cold - warm)); rm -rf $W/store $W/state
}
mkdir -p $W
for r in $(seq $N); do
  before=$(husk_unpack ./husk-before)
  after=$(husk_unpack ./husk-after)
  rm -rf $W/u; raw=$(ms umoci raw unpack --image layout:big $W/u); rm -rf $W/u
  rm -rf $W/u2; full=$(ms umoci unpack --image layout:big $W/u2); rm -rf $W/u2
  rm -rf $W/tar; mkdir $W/tar; t0=$(date +%s%N); for l in l1 l2 l3; do tar -xzf layers/$l.tar.gz -C $W/tar; done; tar_ms=$(( ($(date +%s%N) - t0) / 1000000 )); rm -rf $W/tar
  echo "round $r: husk before $before | husk after $after | umoci raw unpack $raw | umoci unpack $full | tar -xzf $tar_ms"
done
