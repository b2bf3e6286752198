// The container's process: console, limits, identity, capabilities, seccomp, execve.
// Async-signal-safe only (see child.h).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void send_fd(const struct husk_plan *p, int sock, int fd, const char *name) {
    if (hk_send_fds(sock, name, hk_strlen(name), &fd, 1) < 0) child_fail(p, "send console fd", errno, "console socket");
}

// A pty made inside the container (its devpts); the master goes to --console-socket and
// the slave becomes stdio, the controlling terminal and /dev/console.
void child_setup_console(const struct husk_plan *p) {
    if (setsid() < 0) child_fail(p, "setsid", errno, "");
    if (!p->terminal) return;
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) child_fail(p, "open pty master", errno, "/dev/ptmx");
    int unlock = 0, n = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) child_fail(p, "unlock pty", errno, "/dev/ptmx");
    if (ioctl(master, TIOCGPTN, &n) < 0) child_fail(p, "get pty number", errno, "/dev/ptmx");
    char name[64] = "/dev/pts/";
    hk_append_u64(name, sizeof(name), (uint64_t)n);
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) child_fail(p, "open pty slave", errno, name);
    if (p->console_width || p->console_height) {
        struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    // /dev/console: bind the slave when a file can be made there (best effort, like runc).
    int c = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (c >= 0) {
        close(c);
        if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
            child_fail(p, "bind /dev/console", errno, name);
    }
    if (p->console_fd >= 0) {
        send_fd(p, p->console_fd, master, name);
        close(p->console_fd);
    }
    close(master);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(p, "set controlling terminal", errno, name);
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0) child_fail(p, "dup2 pty", errno, name);
    close(slave);
}

struct sched_attr_v1 {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
};

void child_process_limits(const struct husk_plan *p) {
    for (int i = 0; i < p->n_rlimits; i++) {
        const struct husk_rlimit *r = &p->rlimits[i];
        struct rlimit64 rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
        if (syscall(SYS_prlimit64, 0, r->resource, &rl, NULL) < 0)
            child_fail(p, "setrlimit", errno, r->name);
    }
    if (p->has_scheduler) {
        struct sched_attr_v1 a;
        memset(&a, 0, sizeof(a));
        a.size = sizeof(a);
        a.sched_policy = (uint32_t)p->sched_policy;
        a.sched_flags = p->sched_flags;
        a.sched_nice = p->sched_nice;
        a.sched_priority = (uint32_t)p->sched_priority;
        a.sched_runtime = p->sched_runtime;
        a.sched_deadline = p->sched_deadline;
        a.sched_period = p->sched_period;
        if (syscall(SYS_sched_setattr, 0, &a, 0) < 0) child_fail(p, "sched_setattr", errno, "process.scheduler");
    }
    if (p->has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->ioprio) < 0)
        child_fail(p, "ioprio_set", errno, "process.ioPriority");
    if (p->has_personality && personality(p->personality) < 0)
        child_fail(p, "personality", errno, "linux.personality");
}

static int is_executable_file(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) return -errno;
    if (S_ISDIR(st.st_mode)) return -EACCES;
    if (access(path, X_OK) < 0) return -errno;
    return 0;
}

// Finds argv[0] like a shell does: as given when it has a '/', else along PATH.
void child_resolve_executable(const struct husk_plan *p, char *out, size_t cap) {
    const char *name = p->argv[0];
    out[0] = 0;
    int has_slash = 0;
    for (const char *c = name; *c; c++) has_slash |= (*c == '/');
    if (has_slash) {
        hk_append(out, cap, name);
        int r = is_executable_file(out);
        if (r < 0) child_fail(p, "exec", -r, name);
        return;
    }
    const char *path = p->path_env ? p->path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int best = ENOENT;
    while (*path) {
        const char *end = path;
        while (*end && *end != ':') end++;
        size_t len = (size_t)(end - path);
        if (len && len + 1 + hk_strlen(name) + 1 < cap) {
            memcpy(out, path, len);
            out[len] = 0;
            hk_append(out, cap, "/");
            hk_append(out, cap, name);
            int r = is_executable_file(out);
            if (r == 0) return;
            if (r == -EACCES) best = EACCES;
        }
        path = *end ? end + 1 : end;
    }
    child_fail(p, "exec", best, name);
}

static void set_caps(const struct husk_plan *p) {
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    for (int i = 0; i < 2; i++) {
        data[i].effective = (uint32_t)(p->cap_effective >> (32 * i));
        data[i].permitted = (uint32_t)(p->cap_permitted >> (32 * i));
        data[i].inheritable = (uint32_t)(p->cap_inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0) child_fail(p, "capset", errno, "process.capabilities");
    // The kernel raises an ambient capability only if it is also permitted and inheritable;
    // runc's default config lists ambient ones without inheritable, so (like runc) a
    // refused raise is not fatal.
    for (int c = 0; c < 64; c++)
        if ((p->cap_ambient >> c) & 1) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
}

void child_become_user(const struct husk_plan *p) {
    if (p->set_caps) {
        for (int c = 0; c < 64; c++)
            if (!((p->cap_bounding >> c) & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                child_fail(p, "drop bounding capability", errno, "process.capabilities.bounding");
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(p, "keep capabilities", errno, "");
    }
    if (p->set_groups && syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
        child_fail(p, "setgroups", errno, "process.user.additionalGids");
    if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0) child_fail(p, "setgid", errno, "process.user.gid");
    if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0) child_fail(p, "setuid", errno, "process.user.uid");
    if (p->set_caps) {
        prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
        set_caps(p);
    }
}

void child_seal_and_exec(const struct husk_plan *p, const char *exe) {
    if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(p, "set no_new_privs", errno, "process.noNewPrivileges");
    // Only stdio and the preserved fds cross execve; the sync socket closes on exec (EOF
    // tells the parent that execve succeeded).
    syscall(SYS_close_range, 3 + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    // A filter with a listener was loaded earlier, while `create` could still pass the fd on.
    if (p->no_new_privs) child_load_seccomp(p); // unless loaded already (notify, before start)
    execve(exe, p->argv, p->envp);
    child_fail(p, "exec", errno, exe);
}
