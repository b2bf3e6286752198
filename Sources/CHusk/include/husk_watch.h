// The sandbox watcher: a process that shares husk's memory, runs no Swift and does nothing
// until the husk it watches exits (see Runtime+SandboxCleanup.swift).
#ifndef HUSK_WATCH_H
#define HUSK_WATCH_H

#include <stddef.h>
#include <sys/types.h>

// The watcher's stack and its copies of the arguments: husk keeps it mapped until it has
// reaped the watcher, then frees it (husk_watcher_region_free).
struct husk_watcher_region {
    void *base;
    size_t size;
};

// Clones (CLONE_VM, its own stack in `region`) a child that: starts a session of its own, puts
// stdin/stdout/stderr on /dev/null, closes every other fd but `pidfd` (a pidfd of the husk to
// watch), ignores SIGINT, SIGHUP, SIGQUIT and SIGPIPE, restores the other signals' defaults,
// and blocks in ppoll() until that husk exits. Then, if `dir` still exists, it execve()s
// `path` with `argv`/`envp` (husk's cleanup of that dir); otherwise it exits 0. The child
// makes raw system calls only and reads only its region. Returns its pid or -errno.
// Caveat of the shared memory: the kernel's OOM killer, should it pick husk, also kills
// every process sharing husk's memory, the watcher too (`husk sandbox --gc` then cleans up).
pid_t husk_fork_watcher(int pidfd, const char *dir, const char *path, char *const argv[], char *const envp[],
                        struct husk_watcher_region *region);

// Unmaps the region of a watcher that has been reaped.
void husk_watcher_region_free(struct husk_watcher_region *region);

#endif
