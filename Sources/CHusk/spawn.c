// husk_spawn: the one C call that creates a container's init (or an exec'd process).
//
// After clone the child runs C only, async-signal-safe, allocating nothing (see child.h):
// the parent is a multi-threaded Swift process and any lock another thread held at clone
// time stays held forever in the child.
#define _GNU_SOURCE
#include "husk.h"
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// More than any config can list (eight namespace types); joins beyond it fail with E2BIG.
#define HUSK_MAX_JOINS 32
// Id-mapped mounts whose trees survive close_foreign_fds (more are refused by the parent).
#define HUSK_MAX_IDMAPPED 64

_Static_assert(HUSK_CLONE_NEWNS == CLONE_NEWNS, "CLONE_NEWNS");
_Static_assert(HUSK_CLONE_NEWUTS == CLONE_NEWUTS, "CLONE_NEWUTS");
_Static_assert(HUSK_CLONE_NEWIPC == CLONE_NEWIPC, "CLONE_NEWIPC");
_Static_assert(HUSK_CLONE_NEWUSER == CLONE_NEWUSER, "CLONE_NEWUSER");
_Static_assert(HUSK_CLONE_NEWPID == CLONE_NEWPID, "CLONE_NEWPID");
_Static_assert(HUSK_CLONE_NEWNET == CLONE_NEWNET, "CLONE_NEWNET");
_Static_assert(HUSK_CLONE_NEWCGROUP == CLONE_NEWCGROUP, "CLONE_NEWCGROUP");
_Static_assert(HUSK_CLONE_NEWTIME == CLONE_NEWTIME, "CLONE_NEWTIME");

// Signal handlers are the parent's (Swift) code: reset them before anything can fire.
static void reset_signals(const sigset_t *mask) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &dfl, NULL);
    }
    sigprocmask(SIG_SETMASK, mask, NULL);
}

static void write_time_offsets(const struct husk_plan *p) {
    if (unshare(CLONE_NEWTIME) < 0) child_fail(p, "unshare time namespace", errno, "linux.namespaces");
    static const char *const clocks[2] = {"monotonic ", "boottime "};
    char buf[160] = "";
    for (int i = 0; i < 2; i++) {
        hk_append(buf, sizeof(buf), clocks[i]);
        hk_append_i64(buf, sizeof(buf), p->time_offsets[i][0]);
        hk_append(buf, sizeof(buf), " ");
        hk_append_i64(buf, sizeof(buf), p->time_offsets[i][1]);
        hk_append(buf, sizeof(buf), "\n");
    }
    if (hk_write_file("/proc/self/timens_offsets", buf, hk_strlen(buf)) < 0)
        child_fail(p, "write time offsets", errno, "linux.timeOffsets");
}

static void set_names(const struct husk_plan *p) {
    if (p->hostname && sethostname(p->hostname, hk_strlen(p->hostname)) < 0)
        child_fail(p, "sethostname", errno, p->hostname);
    if (p->domainname && setdomainname(p->domainname, hk_strlen(p->domainname)) < 0)
        child_fail(p, "setdomainname", errno, p->domainname);
}

// A new network namespace starts with `lo` down; programs expect 127.0.0.1 to work.
static void loopback_up(const struct husk_plan *p) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) child_fail(p, "socket for lo", errno, "org.husk.loopback");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) child_fail(p, "SIOCGIFFLAGS lo", errno, "org.husk.loopback");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) child_fail(p, "SIOCSIFFLAGS lo up", errno, "org.husk.loopback");
    close(s);
}

// Blocks until `start` opens the fifo for reading, then tells it we are going ahead.
static void wait_for_start(const struct husk_plan *p) {
    child_start_ns_server(p);
    child_send(p->sync_fd, HUSK_MSG_READY, 0, "ready", "");
    // While create records the container (a failure here reaches start as an error message).
    if (p->seccomp_before_start) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(p, "set no_new_privs", errno, "process.noNewPrivileges");
        child_load_seccomp(p);
    }
    if (p->fifo_name) {
        int fd;
        do { fd = openat(p->state_dir_fd, p->fifo_name, O_WRONLY | O_CLOEXEC); } while (fd < 0 && errno == EINTR);
        if (fd < 0) child_fail(p, "open start fifo", errno, p->fifo_name);
        ssize_t w;
        do { w = write(fd, "0", 1); } while (w < 0 && errno == EINTR);
        close(fd);
    } else {
        child_wait_go(p); // started by the process that created us
    }
    close(p->state_dir_fd);
    child_stop_ns_server(p);
}

// process.cwd, refusing a working directory outside the container's root. Until execve we
// hold host fds (the state dir, the sync socket); a cwd such as /proc/self/fd/N would follow
// one of them and leave the process working in a host directory (CVE-2024-21626). The kernel's
// getcwd says "(unreachable)…" for a directory not below our root.
// Runs before seccomp is loaded (a profile may deny getcwd, as the OCI suite's does) and
// before the user switch; the cwd is entered again as the user afterwards. Nothing in the
// container runs yet, so the path resolves the same way both times.
static void check_cwd(const struct husk_plan *p) {
    if (chdir(p->cwd) < 0) child_fail(p, "chdir", errno, p->cwd);
    char buf[4096];
    long n = syscall(SYS_getcwd, buf, sizeof(buf));
    if (n < 0 && errno != ENAMETOOLONG) child_fail(p, "check cwd", errno, p->cwd);
    if (n >= 0 && buf[0] != '/')
        child_fail2(p, "check cwd", ENOENT, p->cwd, " (the working directory is outside the container's root)");
}

// The caller's other fds (a lock, a pipe) must not stay pinned by an init that may wait
// for `start` for a long time; only stdio, the preserved fds and ours survive.
static void close_foreign_fds(const struct husk_plan *p) {
    int keep[4 + HUSK_MAX_IDMAPPED] = {p->sync_fd, p->state_dir_fd, p->console_fd, p->ns_server_fd};
    int n = 4;
    for (int i = 0; i < p->n_mounts && n < 4 + HUSK_MAX_IDMAPPED; i++)
        if (p->mounts[i].idmap_fd >= 0) keep[n++] = p->mounts[i].idmap_fd; // id-mapped trees to move
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (keep[j] < keep[i]) { int t = keep[i]; keep[i] = keep[j]; keep[j] = t; }
    unsigned int from = 3 + (unsigned int)p->preserve_fds;
    for (int i = 0; i < n; i++) {
        if (keep[i] < (int)from) continue;
        if ((unsigned int)keep[i] > from) syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0);
        from = (unsigned int)keep[i] + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0);
}

// Set in the parent when clone3 refused CLONE_INTO_CGROUP: the child then joins through
// the plan's join files and makes its cgroup namespace itself (the child sees the copy).
static int late_cgroupns;

static void join_cgroups(const struct husk_plan *p) {
    for (int i = 0; i < p->n_cgroup_procs; i++)
        if (hk_write_file(p->cgroup_procs[i], "0", 1) < 0) child_fail(p, "join cgroup", errno, p->cgroup_procs[i]);
}

static void child_main(const struct husk_plan *p) {
    prctl(PR_SET_NAME, "husk-init", 0, 0, 0); // what ps shows until execve
    close_foreign_fds(p);
    if (!p->need_idmap && p->n_joins == 0) join_cgroups(p); // else the intermediate did
    mode_t inherited_umask = umask(0);
    if (p->need_idmap) {
        // The parent writes the maps and moves us into the cgroup (the files belong to the
        // host's root, which we are not in here).
        child_send(p->sync_fd, HUSK_MSG_NEED_IDMAP, 0, "idmap", "");
        child_wait_go(p);
        if (syscall(SYS_setresgid, 0, 0, 0) < 0) child_fail(p, "become root in user namespace", errno, "gid 0");
        if (syscall(SYS_setresuid, 0, 0, 0) < 0) child_fail(p, "become root in user namespace", errno, "uid 0");
    }
    // Made only now, so that its root is the container's cgroup.
    if ((p->unshare_cgroupns || late_cgroupns) && unshare(CLONE_NEWCGROUP) < 0)
        child_fail(p, "unshare cgroup namespace", errno, "linux.namespaces");
    if (p->new_time_ns) write_time_offsets(p);
    child_open_own_namespaces(p); // all of them exist now; /proc is still the host's
    if (p->has_oom_score_adj) {
        char v[24] = "";
        hk_append_i64(v, sizeof(v), p->oom_score_adj);
        if (hk_write_file("/proc/self/oom_score_adj", v, hk_strlen(v)) < 0)
            child_fail(p, "write oom_score_adj", errno, "process.oomScoreAdj");
    }
    // CVE-2019-5736 in a new user namespace: dumpable until now (the parent wrote our maps,
    // we wrote /proc/self), non-dumpable from here until execve. Rootless, container root is
    // the invoking user, who may own the husk binary: a process exec'd into the created
    // container must not reach it through /proc/1/exe. Our mm still belongs to the initial
    // user namespace, so only CAP_SYS_PTRACE there passes the ptrace check.
    if (p->need_idmap && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        child_fail(p, "make non-dumpable", errno, "PR_SET_DUMPABLE");
    if (p->rootfs && !p->chroot_only) child_prepare_rootfs(p);
    set_names(p);
    if (p->loopback_up) loopback_up(p);
    if (p->wait_go_for_hooks) {
        child_send(p->sync_fd, HUSK_MSG_NEED_HOOKS, 0, "hooks", "");
        child_wait_go(p);
    }
    child_run_hooks(p, p->create_container_hooks, p->n_create_container_hooks, "createContainer hook");
    if (p->rootfs && p->chroot_only) {
        if (chroot(p->rootfs) < 0 || chdir("/") < 0) child_fail(p, "chroot", errno, p->rootfs);
    } else if (p->rootfs) {
        child_enter_rootfs(p);
    }
    child_setup_console(p);
    if (p->rootfs && !p->chroot_only) child_finish_rootfs(p);
    child_process_limits(p);
    char exe[4096];
    child_resolve_executable(p, exe, sizeof(exe));
    umask(p->umask >= 0 ? (mode_t)p->umask : inherited_umask);
    if (p->cwd) check_cwd(p);
    if (!p->no_new_privs) child_load_seccomp(p);
    child_become_user(p);
    if (p->cwd && chdir(p->cwd) < 0) child_fail(p, "chdir", errno, p->cwd);
    if (p->no_new_privs && p->seccomp_notify) {
        // The agent at listenerPath must get its fd from `create` (the process that is
        // talking to us now), so this filter goes in before the start fifo, as runc does.
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            child_fail(p, "set no_new_privs", errno, "process.noNewPrivileges");
        child_load_seccomp(p);
    }
    if (p->state_dir_fd >= 0) wait_for_start(p);
    child_run_hooks(p, p->start_container_hooks, p->n_start_container_hooks, "startContainer hook");
    child_seal_and_exec(p, exe);
}

// Joins the namespaces given by path (a multi-threaded parent cannot), then clones the
// real child with CLONE_PARENT so that it is the husk process's child, reports its pid
// and exits.
static void intermediate_main(const struct husk_plan *p) {
    // Before setns: the paths are the host's /sys/fs/cgroup, not the container's view.
    // The real child inherits the cgroup.
    join_cgroups(p);
    // Open every namespace before joining any (as runc's nsexec does): the paths are the
    // host's /proc/PID/ns/*, and once the mount namespace is joined, /proc is the container's,
    // where PID does not exist (engines list "mount" before "network").
    int fds[HUSK_MAX_JOINS];
    if (p->n_joins > HUSK_MAX_JOINS) child_fail(p, "open namespace", E2BIG, "linux.namespaces");
    for (int i = 0; i < p->n_joins; i++) {
        fds[i] = p->joins[i].fd >= 0 ? p->joins[i].fd : open(p->joins[i].path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) child_fail(p, "open namespace", errno, p->joins[i].path);
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < p->n_joins; i++) {
            const struct husk_join_ns *j = &p->joins[i];
            if ((pass == 0) != (j->type == CLONE_NEWUSER)) continue; // the user namespace first
            if (setns(fds[i], j->type) < 0) child_fail(p, "setns", errno, j->path);
            close(fds[i]);
        }
    }
    struct clone_args a;
    memset(&a, 0, sizeof(a));
    a.flags = p->clone_flags | CLONE_PARENT;
    pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
    if (pid < 0 && errno == ENOSYS) pid = (pid_t)syscall(SYS_clone, p->clone_flags | CLONE_PARENT, 0, 0, 0, 0);
    if (pid < 0) child_fail(p, "clone", errno, "container init");
    if (pid == 0) { child_main(p); _exit(1); }
    child_send(p->sync_fd, HUSK_MSG_INIT_PID, pid, "init pid", "");
    _exit(0);
}

pid_t husk_spawn(const struct husk_plan *p, int *pidfd_out) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);

    int direct = p->n_joins == 0;
    int pidfd = -1;
    struct clone_args a;
    memset(&a, 0, sizeof(a));
    a.flags = (direct ? p->clone_flags : 0) | CLONE_PIDFD;
    a.pidfd = (uint64_t)(uintptr_t)&pidfd;
    a.exit_signal = SIGCHLD;
    if (direct && p->cgroup_fd >= 0) {
        a.flags |= CLONE_INTO_CGROUP;
        a.cgroup = (uint64_t)p->cgroup_fd;
    }
    pid_t pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
    if (pid < 0 && errno != ENOSYS && (a.flags & CLONE_INTO_CGROUP)) {
        // e.g. a v2 leaf whose controllers refuse the move at clone: join after clone.
        a.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
        if (a.flags & CLONE_NEWCGROUP) { a.flags &= ~(uint64_t)CLONE_NEWCGROUP; late_cgroupns = 1; }
        pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
    }
    if (pid < 0 && errno == ENOSYS) {
        pidfd = -1;
        pid = (pid_t)syscall(SYS_clone, (direct ? p->clone_flags : 0) | SIGCHLD, 0, 0, 0, 0);
    }
    if (pid == 0) {
        reset_signals(&old);
        // Before any setns: a non-dumpable process's /proc/PID entries belong to root of the
        // initial namespace, so a container process cannot reach our exe. execve resets it.
        // This covers exec and also a created container's init, which runs the husk image
        // until `start`: any process exec'd into the container meanwhile (same uid, same
        // capabilities, same pid namespace) could otherwise open /proc/1/exe, keep an O_PATH
        // handle on the host's husk binary and reopen it for writing once husk has exited.
        // Init in a new user namespace stays dumpable for now: the parent must write its
        // uid/gid maps and it writes its own /proc/self files after becoming root there;
        // child_main makes it non-dumpable right after those writes.
        if (p->non_dumpable && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
            child_fail(p, "make non-dumpable", errno, "PR_SET_DUMPABLE");
        if (direct) child_main(p);
        else intermediate_main(p);
        _exit(1);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) return -saved;
    if (pidfd_out) *pidfd_out = pidfd;
    else if (pidfd >= 0) close(pidfd);
    return pid;
}
