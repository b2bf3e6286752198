// createContainer and startContainer hooks, run from inside the container's namespaces:
// fork, feed the state JSON on stdin, wait with the hook's timeout.
// Async-signal-safe only (see child.h); the hook process execs at once.
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_hook(const struct husk_plan *p, const struct husk_hook *h, const char *stage) {
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0) child_fail(p, stage, errno, h->path);
    pid_t pid = fork();
    if (pid < 0) child_fail(p, stage, errno, h->path);
    if (pid == 0) {
        dup2(in[0], 0);
        char *const empty[] = {NULL};
        char *const fallback_argv[] = {(char *)h->path, NULL};
        execve(h->path, h->argv ? h->argv : fallback_argv, h->envp ? h->envp : empty);
        _exit(127);
    }
    close(in[0]);
    // The state is small (< pipe buffer): write it all, then close so the hook sees EOF.
    const char *s = child_state_json;
    size_t left = child_state_json_len;
    while (left) {
        ssize_t w = write(in[1], s, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break; // a hook that does not read its stdin is fine
        s += w;
        left -= (size_t)w;
    }
    close(in[1]);

    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long deadline = h->timeout_sec > 0 ? now_ms() + h->timeout_sec * 1000L : -1;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) break;
            char why[64] = "";
            if (WIFEXITED(status)) { hk_append(why, sizeof(why), ": exit status "); hk_append_u64(why, sizeof(why), (uint64_t)WEXITSTATUS(status)); }
            else { hk_append(why, sizeof(why), ": killed by signal "); hk_append_u64(why, sizeof(why), (uint64_t)WTERMSIG(status)); }
            child_fail2(p, stage, 0, h->path, why);
        }
        long wait = deadline < 0 ? 1000 : deadline - now_ms();
        if (deadline >= 0 && wait <= 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            child_fail2(p, stage, ETIMEDOUT, h->path, ": timed out");
        }
        struct pollfd pf = {.fd = pidfd, .events = POLLIN};
        if (pidfd >= 0) poll(&pf, 1, (int)(wait > 1000 ? 1000 : wait));
        else { struct timespec ts = {0, 10000000}; nanosleep(&ts, NULL); }
    }
    if (pidfd >= 0) close(pidfd);
}

void child_run_hooks(const struct husk_plan *p, const struct husk_hook *hooks, int n, const char *stage) {
    for (int i = 0; i < n; i++) run_hook(p, &hooks[i], stage);
}
