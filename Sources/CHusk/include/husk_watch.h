// The sandbox watcher: a forked copy of husk that runs no Swift and does nothing until the husk
// it watches exits (see Runtime+SandboxCleanup.swift).
#ifndef HUSK_WATCH_H
#define HUSK_WATCH_H

#include <sys/types.h>

// Forks a child that: starts a session of its own, puts stdin/stdout/stderr on /dev/null,
// closes every other fd but `pidfd` (a pidfd of the husk to watch), ignores SIGINT, SIGHUP,
// SIGQUIT and SIGPIPE, restores the other signals' defaults, and blocks in poll() until that
// husk exits. Then, if `dir` still exists, it execve()s `path` with `argv`/`envp` (husk's
// cleanup of that dir); otherwise it exits 0. Only async-signal-safe calls run in the child
// (raw clone, no atfork handlers, nothing allocated). Returns the child's pid or -errno.
pid_t husk_fork_watcher(int pidfd, const char *dir, const char *path, char *const argv[], char *const envp[]);

#endif
