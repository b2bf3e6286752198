// The sandbox watcher's fork (see husk_watch.h). The child runs C only, async-signal-safe.
#define _GNU_SOURCE
#include "husk_watch.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void close_all_but(int keep) {
    if (keep > 3) syscall(SYS_close_range, 3, keep - 1, 0);
    syscall(SYS_close_range, (keep >= 3 ? keep : 2) + 1, ~0U, 0);
}

static void watch(int pidfd, const char *dir, const char *path, char *const argv[], char *const envp[]) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2 && null != pidfd) close(null);
    }
    close_all_but(pidfd);
    struct sigaction dfl, ign;
    memset(&dfl, 0, sizeof(dfl));
    memset(&ign, 0, sizeof(ign));
    dfl.sa_handler = SIG_DFL;
    ign.sa_handler = SIG_IGN;
    for (int s = 1; s < _NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        int ignored = s == SIGINT || s == SIGHUP || s == SIGQUIT || s == SIGPIPE;
        syscall(SYS_rt_sigaction, s, ignored ? &ign : &dfl, NULL, _NSIG / 8);
    }
    sigset_t none;
    sigemptyset(&none);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);

    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {}
    struct stat st;
    if (stat(dir, &st) != 0) _exit(0);
    close(pidfd);
    execve(path, argv, envp);
    _exit(127);
}

pid_t husk_fork_watcher(int pidfd, const char *dir, const char *path, char *const argv[], char *const envp[]) {
    // A raw clone: glibc's fork() would run atfork handlers in a multi-threaded process.
    long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) return -errno;
    if (pid == 0) watch(pidfd, dir, path, argv, envp);
    return (pid_t)pid;
}
