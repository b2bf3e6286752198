// The C side of husk as Swift sees it: the launch plan, the spawn call, and the few
// Linux names and calls Swift's Glibc module does not expose.
#ifndef HUSK_H
#define HUSK_H

#include "husk_plan.h"
#include <stdint.h>
#include <sys/types.h>

// Starts a child that runs the plan (see child.h for what it may do). With namespaces to
// join, the direct child is an intermediate that reports the real child's pid as
// HUSK_MSG_INIT_PID. Returns the direct child's pid, or -errno. *pidfd_out gets a pidfd
// for it when the kernel supports clone3 (else -1).
pid_t husk_spawn(const struct husk_plan *plan, int *pidfd_out);

// Namespace flags (checked against <sched.h> with _Static_assert in spawn.c).
enum {
    HUSK_CLONE_NEWTIME = 0x00000080,
    HUSK_CLONE_NEWNS = 0x00020000,
    HUSK_CLONE_NEWCGROUP = 0x02000000,
    HUSK_CLONE_NEWUTS = 0x04000000,
    HUSK_CLONE_NEWIPC = 0x08000000,
    HUSK_CLONE_NEWUSER = 0x10000000,
    HUSK_CLONE_NEWPID = 0x20000000,
    HUSK_CLONE_NEWNET = 0x40000000,
};

// Thin syscall wrappers (shim.c).
int husk_pidfd_open(pid_t pid);
int husk_pidfd_send_signal(int pidfd, int sig);
int husk_setns(int fd, int nstype);
int husk_socketpair_seqpacket(int fds[2]);
int husk_open_path_dir(const char *path);     // O_PATH|O_DIRECTORY|O_CLOEXEC
int husk_open_fifo_nonblock(const char *path); // O_RDONLY|O_NONBLOCK|O_CLOEXEC
int husk_set_child_subreaper(void);
int husk_is_fd_valid(int fd);
int husk_pipe_cloexec(int fds[2]);
// Receives one struct husk_msg; returns bytes read, 0 on EOF, -errno on error. A file
// descriptor sent with it (SCM_RIGHTS) goes to *passed_fd (CLOEXEC), else *passed_fd = -1;
// with passed_fd NULL it is closed.
ssize_t husk_recv_msg(int fd, struct husk_msg *m, int timeout_ms);
ssize_t husk_recv_msg_fd(int fd, struct husk_msg *m, int timeout_ms, int *passed_fd);
// Connects to the unix stream socket at `path` and sends `len` bytes of `payload` with `fd`
// (SCM_RIGHTS, on the first sendmsg only), then closes the connection. 0, or -errno with
// *stage set to "connect" or "send".
int husk_send_fd_to_path(const char *path, int fd, const void *payload, size_t len, const char **stage);
// Sends a file descriptor over a unix socket with SCM_RIGHTS (console socket tests).
int husk_send_fd(int sock, int fd);
int husk_recv_fd(int sock);
// openat2(RESOLVE_IN_ROOT) of path under root, O_RDONLY; the fd or -errno.
int husk_open_in_root(const char *root, const char *path);
// A listening unix stream socket bound at NAME in the directory dirfd (through
// /proc/self/fd, so a long state path does not matter); the fd (CLOEXEC) or -errno.
int husk_listen_unix_at(int dirfd, const char *name);
// Connects to NAME in dirfd and receives up to `max` namespace fds and their CLONE_NEW*
// types from a created rootless container's init (child_nsserver.c); the count or -errno.
int husk_fetch_ns_fds(int dirfd, const char *name, int *fds, int32_t *types, int max);
// A detached copy of `source` (open_tree OPEN_TREE_CLONE, AT_RECURSIVE with recursive_tree)
// made id-mapped (mount_setattr MOUNT_ATTR_IDMAP, AT_RECURSIVE with recursive_attr) through a
// user namespace with uid_map/gid_map ("inside outside count" lines). The mount fd, or -errno
// with *stage naming the step (idmap.c).
int husk_idmapped_tree(const char *source, int recursive_tree, int recursive_attr, const char *uid_map,
                       const char *gid_map, const char **stage);
// statfs(2) f_type, or -errno.
long husk_statfs_type(const char *path);

// 1 if this x86-64 kernel runs x32 system calls (CONFIG_X86_X32_ABI), else 0.
int husk_x32_syscalls(void);

#endif
