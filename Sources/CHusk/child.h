// Private interface of the container-side child.
//
// THE RULE for every function declared here: it runs in a process created by clone()
// from a (possibly multi-threaded) Swift parent, before execve. Only async-signal-safe
// calls are allowed: raw syscalls, no malloc, no stdio, no locks, no Swift. Buffers live
// on the stack; all input comes from the husk_plan the parent built before clone.
#ifndef HUSK_CHILD_H
#define HUSK_CHILD_H

#include "husk_plan.h"
#include <stddef.h>

// --- reporting (child_util.c)
// Sends {ERROR, stage, errno, detail} to the parent and exits. Never returns.
__attribute__((noreturn)) void child_fail(const struct husk_plan *p, const char *stage, int err,
                                          const char *detail);
__attribute__((noreturn)) void child_fail2(const struct husk_plan *p, const char *stage, int err,
                                           const char *detail, const char *detail2);
void child_send(int fd, int kind, int err, const char *stage, const char *detail);
// Waits for the parent's GO message; exits quietly if the parent went away. A GO longer
// than one byte carries the state JSON for the hooks' stdin.
void child_wait_go(const struct husk_plan *p);
extern char child_state_json[65536];
extern size_t child_state_json_len;

// --- small string helpers on caller-provided buffers (child_util.c)
size_t hk_strlen(const char *s);
int hk_streq(const char *a, const char *b);
// Appends src to dst (capacity cap, always NUL-terminated); returns the new length.
size_t hk_append(char *dst, size_t cap, const char *src);
size_t hk_append_u64(char *dst, size_t cap, uint64_t v);
size_t hk_append_i64(char *dst, size_t cap, int64_t v);
int hk_write_file(const char *path, const char *data, size_t len);
// sendmsg of `len` bytes of `data` with `nfds` fds as SCM_RIGHTS (at most 8), EINTR retried.
// Returns sendmsg's result (-1 and errno on failure). Allocates nothing.
ssize_t hk_send_fds(int sock, const void *data, size_t len, const int *fds, int nfds);

// --- rootfs (child_rootfs.c, child_devices.c)
void child_prepare_rootfs(const struct husk_plan *p);   // before pivot: mounts, devices
void child_enter_rootfs(const struct husk_plan *p);     // pivot_root or chroot
void child_finish_rootfs(const struct husk_plan *p);    // after pivot: masked, ro paths, sysctl, ro root
void child_make_devices(const struct husk_plan *p, int rootfd);
// Opens (creating missing parts of) an absolute container path under rootfd, resolving
// symlinks inside the rootfs only. Returns an O_PATH fd or -1 with errno.
int child_open_in_root(const struct husk_plan *p, int rootfd, const char *path, int want_file);
// The host path of an fd, for mount(2).
void child_fd_path(const struct husk_plan *p, int fd, char *out, size_t cap, const char *what);

// --- process (child_process.c)
void child_setup_console(const struct husk_plan *p);
void child_process_limits(const struct husk_plan *p);   // rlimits, scheduler, ioprio, personality
void child_resolve_executable(const struct husk_plan *p, char *out, size_t cap);
void child_become_user(const struct husk_plan *p);      // bounding set, ids, groups, caps
// Without no_new_privs installing a filter needs CAP_SYS_ADMIN, so (as runc does) it is
// loaded before the capabilities drop; with it, as late as possible, just before execve.
// Loads the plan's filter once (later calls do nothing); child_fail if the kernel refuses it.
void child_load_seccomp(const struct husk_plan *p);
extern int child_seccomp_loaded;
void child_seal_and_exec(const struct husk_plan *p, const char *exe) __attribute__((noreturn));

// --- the namespace server of a created rootless container (child_nsserver.c)
void child_open_own_namespaces(const struct husk_plan *p); // once every namespace exists
void child_start_ns_server(const struct husk_plan *p);     // while waiting for `start`
void child_stop_ns_server(const struct husk_plan *p);

// --- hooks (child_hooks.c)
void child_run_hooks(const struct husk_plan *p, const struct husk_hook *hooks, int n, const char *stage);

#endif
