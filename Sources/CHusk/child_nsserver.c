// The namespace server of a rootless container that is created but not started.
//
// Until `start`, init runs husk's own image and is non-dumpable (CVE-2019-5736, see spawn.c),
// so only a process with CAP_SYS_PTRACE in the initial user namespace may open its
// /proc/PID/ns/*: root can, the unprivileged user who owns a rootless container cannot, and
// `husk exec` could not join it. Init therefore opens its own namespaces (a process may always
// open its own) and, while it waits on the start fifo, a forked server hands them to whoever
// connects to ns.sock in the state directory (0700, the user's). The server is non-dumpable too,
// so nothing in the container can take the fds from it; it dies when `start` releases init.
// Async-signal-safe only (see child.h).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct { int type; const char *path; } ns_files[HUSK_NS_SERVER_MAX] = {
    {CLONE_NEWUSER, "/proc/self/ns/user"},     {CLONE_NEWNS, "/proc/self/ns/mnt"},
    {CLONE_NEWNET, "/proc/self/ns/net"},       {CLONE_NEWIPC, "/proc/self/ns/ipc"},
    {CLONE_NEWUTS, "/proc/self/ns/uts"},       {CLONE_NEWPID, "/proc/self/ns/pid"},
    {CLONE_NEWCGROUP, "/proc/self/ns/cgroup"}, {CLONE_NEWTIME, "/proc/self/ns/time_for_children"},
};
static int ns_fds[HUSK_NS_SERVER_MAX];
static int n_ns;
static int32_t ns_types[HUSK_NS_SERVER_MAX];
static pid_t server = -1;

void child_open_own_namespaces(const struct husk_plan *p) {
    if (p->ns_server_fd < 0) return;
    for (int i = 0; i < HUSK_NS_SERVER_MAX; i++) {
        int fd = open(ns_files[i].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) continue; // a namespace type this kernel lacks
            child_fail(p, "open own namespace", errno, ns_files[i].path);
        }
        ns_fds[n_ns] = fd;
        ns_types[n_ns] = ns_files[i].type;
        n_ns++;
    }
}

// One message per connection: the CLONE_NEW* types as payload, the fds with SCM_RIGHTS.
static void serve(int listen_fd) {
    for (;;) {
        int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            _exit(1);
        }
        (void)hk_send_fds(conn, ns_types, sizeof(int32_t) * (size_t)n_ns, ns_fds, n_ns);
        close(conn);
    }
}

void child_start_ns_server(const struct husk_plan *p) {
    if (p->ns_server_fd < 0 || n_ns == 0) return;
    pid_t parent = getpid();
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) child_fail(p, "start namespace server", errno, "ns.sock");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent) _exit(0);
        prctl(PR_SET_NAME, "husk-ns-server", 0, 0, 0);
        // Only the listening socket and the namespaces: not the sync socket (its EOF tells
        // the parent that init exec'd) nor the state directory.
        close(p->sync_fd);
        if (p->state_dir_fd >= 0) close(p->state_dir_fd);
        if (p->console_fd >= 0) close(p->console_fd);
        serve(p->ns_server_fd);
    }
    server = pid;
}

void child_stop_ns_server(const struct husk_plan *p) {
    if (p->ns_server_fd < 0) return;
    if (server > 0) {
        kill(server, SIGKILL);
        while (waitpid(server, NULL, 0) < 0 && errno == EINTR) {}
        server = -1;
    }
    for (int i = 0; i < n_ns; i++) close(ns_fds[i]);
    n_ns = 0;
    close(p->ns_server_fd);
}
