// cgroup v2 device control: load and attach the BPF_CGROUP_DEVICE program built in Swift (V2Devices).
#include "husk_bpf.h"
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(struct bpf_insn) == 8, "struct bpf_insn is 8 bytes");

static int sys_bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int load(const uint64_t *insns, uint32_t count, char *log, size_t log_size, uint32_t level) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    if (level && log && log_size) {
        attr.log_level = level;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = (uint32_t)(log_size > UINT32_MAX ? UINT32_MAX : log_size);
    }
    int fd;
    do { fd = sys_bpf(BPF_PROG_LOAD, &attr); } while (fd < 0 && errno == EAGAIN);
    return fd < 0 ? -errno : fd;
}

int husk_bpf_load_device_prog(const uint64_t *insns, uint32_t count, char *log, size_t log_size) {
    if (log && log_size) log[0] = 0;
    int fd = load(insns, count, NULL, 0, 0);
    if (fd >= 0 || !log || !log_size) return fd;
    // Again with the verifier's log, for the error message.
    int again = load(insns, count, log, log_size, 1);
    if (again >= 0) return again;
    log[log_size - 1] = 0;
    return fd;
}

int husk_bpf_attach_cgroup_device(int cgroup_fd, int prog_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    return sys_bpf(BPF_PROG_ATTACH, &attr) < 0 ? -errno : 0;
}
