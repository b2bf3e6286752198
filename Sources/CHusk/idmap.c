// Id-mapped mounts, prepared in the parent (husk's own mount and user namespace): a detached
// copy of the source (open_tree OPEN_TREE_CLONE) gets MOUNT_ATTR_IDMAP with a user namespace
// that carries the mount's mappings; the child only move_mounts it onto the destination it
// resolved inside the rootfs. The user namespace comes from a short-lived helper process
// (clone CLONE_NEWUSER): the parent may be multi-threaded Swift, so the helper runs C only,
// async-signal-safe, and just waits to be released.
#define _GNU_SOURCE
#include "husk.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
struct mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };
#endif

static int write_map(pid_t pid, const char *file, const char *map) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t len = strlen(map);
    ssize_t w = write(fd, map, len);
    int e = errno;
    close(fd);
    if (w < 0) return -e;
    return (size_t)w == len ? 0 : -EIO;
}

// A user namespace with the given maps, as an fd; -errno with *stage on failure.
static int userns_with_maps(const char *uid_map, const char *gid_map, const char **stage) {
    int release[2];
    *stage = "pipe";
    if (pipe2(release, O_CLOEXEC) < 0) return -errno;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        // The helper: signals stay blocked; it waits for EOF on the pipe and exits.
        char c;
        close(release[1]);
        while (read(release[0], &c, 1) < 0 && errno == EINTR) {}
        _exit(0);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(release[0]);
    if (pid < 0) {
        close(release[1]);
        *stage = "create a user namespace for the mapping";
        return -saved;
    }
    int r = write_map(pid, "uid_map", uid_map);
    if (r < 0) *stage = "write uid_map of the mapping's user namespace";
    if (r == 0) {
        r = write_map(pid, "gid_map", gid_map);
        if (r < 0) *stage = "write gid_map of the mapping's user namespace";
    }
    int nsfd = -1;
    if (r == 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        nsfd = open(path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0) { r = -errno; *stage = "open the mapping's user namespace"; }
    }
    close(release[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return r < 0 ? r : nsfd;
}

int husk_idmapped_tree(const char *source, int recursive_tree, int recursive_attr, const char *uid_map,
                       const char *gid_map, const char **stage) {
    int userns = userns_with_maps(uid_map, gid_map, stage);
    if (userns < 0) return userns;
    *stage = "open_tree";
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source,
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive_tree ? AT_RECURSIVE : 0));
    if (tree < 0) { int e = errno; close(userns); return -e; }
    struct mount_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = (uint64_t)userns;
    *stage = "mount_setattr MOUNT_ATTR_IDMAP";
    int r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive_attr ? AT_RECURSIVE : 0), &attr, sizeof(attr));
    int e = errno;
    close(userns);
    if (r < 0) { close(tree); return -e; }
    return tree;
}
