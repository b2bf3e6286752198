// Loading the seccomp filter, and handing an SCMP_ACT_NOTIFY listener fd to the parent.
// Async-signal-safe only (see child.h).
//
// Once a filter with SCMP_ACT_NOTIFY rules is loaded, any syscall of ours that it notifies
// blocks until someone answers on the listener fd, and at first only we hold that fd. So the
// filtered process must not need a syscall to pass the fd on: a helper started before the
// load, sharing our memory and fd table (CLONE_VM|CLONE_FILES) and not under the filter,
// picks the fd number up from memory and sends it to the parent, which gives it to the agent
// at listenerPath. Only then do we make another syscall (waiting for the helper); from there
// on whatever the profile notifies is answered by the agent, execve included, so execve
// never waits on a listener nobody holds.
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

// -1: not loaded yet; -2: the load failed; else the listener fd.
static int listener_fd = -1;
static char helper_stack[16384] __attribute__((aligned(16)));

// The helper: waits (up to 5 s) for the fd, sends it with a HUSK_MSG_SECCOMP_FD message.
// Its exit status is 0 or an errno. It shares our memory: it touches nothing but its stack,
// listener_fd and the plan.
static int handoff_main(void *arg) {
    const struct husk_plan *p = arg;
    int fd = -1;
    for (int i = 0; i < 50000; i++) {
        fd = __atomic_load_n(&listener_fd, __ATOMIC_ACQUIRE);
        if (fd != -1) break;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    if (fd == -1) return ETIMEDOUT;
    if (fd < 0) return 0;
    struct husk_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = HUSK_MSG_SECCOMP_FD;
    return hk_send_fds(p->sync_fd, &m, sizeof(m), &fd, 1) < 0 ? errno : 0;
}

static void load_with_listener(const struct husk_plan *p, struct sock_fprog *prog) {
    int helper = clone(handoff_main, helper_stack + sizeof(helper_stack), CLONE_VM | CLONE_FILES | SIGCHLD, (void *)p);
    if (helper < 0) child_fail(p, "start seccomp listener helper", errno, "linux.seccomp.listenerPath");
    // NEW_LISTENER excludes TSYNC, which a single-threaded process does not need anyway.
    unsigned int flags = (p->seccomp_flags & ~(unsigned int)SECCOMP_FILTER_FLAG_TSYNC) | SECCOMP_FILTER_FLAG_NEW_LISTENER;
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
    int load_err = errno;
    // No syscall between the load and this store: the helper takes it from here.
    __atomic_store_n(&listener_fd, fd < 0 ? -2 : (int)fd, __ATOMIC_RELEASE);
    int status = 0;
    while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {}
    if (fd < 0) child_fail(p, "load seccomp filter", load_err, "linux.seccomp");
    close((int)fd);
    int err = WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
    if (err) child_fail(p, "send seccomp listener fd", err, "linux.seccomp.listenerPath");
}

int child_seccomp_loaded;

void child_load_seccomp(const struct husk_plan *p) {
    if (!p->seccomp_filter || child_seccomp_loaded) return;
    child_seccomp_loaded = 1;
    struct sock_fprog prog = {.len = p->seccomp_len, .filter = (struct sock_filter *)p->seccomp_filter};
    if (p->seccomp_notify) {
        load_with_listener(p, &prog);
        return;
    }
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) < 0)
        child_fail(p, "load seccomp filter", errno, "linux.seccomp");
}
