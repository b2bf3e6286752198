#!/bin/bash
# A private podman (config, storage under this dir; overlay driver; crun through the hybrid-cgroup
# wrapper of /work/shared/bench/README.md) with the busybox test image pulled from an OCI layout.
set -euo pipefail
D=/var/tmp/imgx-podman
cd $D
cat > crun-wrapper <<'W'
#!/bin/sh
exec unshare -m --propagation private /bin/sh -c 'mount --bind /var/tmp/empty /sys/fs/cgroup/unified/cgroup.controllers && exec /usr/bin/crun "$@"' crun "$@"
W
chmod +x crun-wrapper
mkdir -p net tmp volumes
cat > containers.conf <<C
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$D/events.log"
lock_type = "file"
num_locks = 128
tmp_dir = "$D/tmp"
volume_path = "$D/volumes"
runtime = "crun"
runtime_supports_json = ["crun"]
[engine.runtimes]
crun = ["$D/crun-wrapper"]
[network]
network_config_dir = "$D/net"
C
cat > storage.conf <<C
[storage]
driver = "overlay"
graphroot = "$D/graph"
runroot = "$D/run"
C
echo 'unqualified-search-registries = []' > registries.conf
