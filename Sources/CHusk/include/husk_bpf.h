#ifndef HUSK_BPF_H
#define HUSK_BPF_H
#include <stddef.h>
#include <stdint.h>

/// bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program (`count` struct bpf_insn as 64-bit
/// words). Returns the program fd, or -errno; on failure `log` holds the verifier's log (level 1).
int husk_bpf_load_device_prog(const uint64_t *insns, uint32_t count, char *log, size_t log_size);

/// bpf(BPF_PROG_ATTACH) of `prog_fd` to the cgroup directory `cgroup_fd` as BPF_CGROUP_DEVICE with
/// BPF_F_ALLOW_MULTI. Returns 0 or -errno.
int husk_bpf_attach_cgroup_device(int cgroup_fd, int prog_fd);

#endif
