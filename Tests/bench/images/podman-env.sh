D=/var/tmp/imgx-podman
export CONTAINERS_CONF=$D/containers.conf CONTAINERS_STORAGE_CONF=$D/storage.conf CONTAINERS_REGISTRIES_CONF=$D/registries.conf
OWN=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3); [ "$OWN" = / ] && OWN=
CGP="$OWN/imgx-podman-bench"
