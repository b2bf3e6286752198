// The launch plan: everything the container's init needs between clone and execve,
// built by Swift in the parent as one flat structure of plain C data. The child only
// reads it (its memory is a copy-on-write image of the parent's), so it never allocates.
#ifndef HUSK_PLAN_H
#define HUSK_PLAN_H

#include <stdint.h>
#include <sys/types.h>

#define HUSK_DETAIL_MAX 512
// The namespaces a created rootless init hands out on ns.sock (see child_nsserver.c).
#define HUSK_NS_SERVER_MAX 8

// What the child reports on the sync socket. EOF on the socket means execve succeeded.
enum husk_msg_kind {
    HUSK_MSG_ERROR = 1,      // setup failed: stage, err, detail
    HUSK_MSG_NEED_IDMAP = 2, // new user namespace exists: parent writes uid/gid maps, then sends GO
    HUSK_MSG_NEED_HOOKS = 3, // namespaces and mounts exist: parent runs prestart/createRuntime, then GO
    HUSK_MSG_READY = 4,      // waiting on the start fifo (create is complete)
    HUSK_MSG_INIT_PID = 5,   // from the intermediate process: the init's pid in `err`
    HUSK_MSG_STARTED = 6,    // start fifo opened: the container is about to exec
    HUSK_MSG_SECCOMP_FD = 7, // carries the SCMP_ACT_NOTIFY listener fd (SCM_RIGHTS) for listenerPath
};

struct husk_msg {
    int32_t kind;
    int32_t err;   // errno for ERROR, pid for INIT_PID
    char stage[64];
    char detail[HUSK_DETAIL_MAX];
};

struct husk_mount {
    const char *source;      // NULL for none
    const char *destination; // absolute, inside the container
    const char *fstype;      // NULL for bind mounts
    const char *data;        // comma-joined fs options, NULL for none
    unsigned long flags;     // MS_* flags without propagation
    unsigned long propagation[4]; // MS_SHARED|MS_REC etc, applied in order, 0-terminated
    uint64_t attr_set;       // recursive mount_setattr (rro, rnosuid, …)
    uint64_t attr_clr;
    int bind;                // MS_BIND in flags: create a file or a dir to match the source
    int idmap_fd;            // a detached id-mapped tree to move_mount instead of binding source, or -1
};

struct husk_device {
    const char *path;   // absolute, inside the container
    mode_t mode;        // S_IFCHR/S_IFBLK/S_IFIFO | permissions
    uint32_t major, minor;
    uid_t uid;
    gid_t gid;
};

struct husk_join_ns {
    int type;           // CLONE_NEW*
    const char *path;   // e.g. /proc/123/ns/net
    int fd;             // an open namespace fd to join instead of path, or -1
};

struct husk_rlimit {
    const char *name;   // "RLIMIT_NOFILE", for errors
    int resource;
    uint64_t soft, hard;
};

struct husk_sysctl {
    const char *path;   // /proc/sys/... (dots already turned into slashes)
    const char *value;
};

struct husk_hook {
    const char *path;
    char *const *argv;
    char *const *envp;
    int timeout_sec;    // 0: none
};

struct husk_plan {
    // --- namespaces
    uint64_t clone_flags;           // CLONE_NEW* to create (CLONE_NEWTIME handled by unshare)
    int new_time_ns;
    int64_t time_offsets[2][2];     // [monotonic, boottime] x [secs, nanosecs]
    const struct husk_join_ns *joins;
    int n_joins;
    int need_idmap;                 // new user namespace: wait for the parent's maps
    int cgroup_fd;                  // v2 leaf for CLONE_INTO_CGROUP, -1 for none
    const char *const *cgroup_procs; // files the child joins by writing "0" (v1 tasks, v2 cgroup.procs)
    int n_cgroup_procs;             // (the parent does it instead when need_idmap is set)
    int unshare_cgroupns;           // make the cgroup namespace after joining, not at clone
    int non_dumpable;               // nobody in the container may open our /proc/PID/exe
                                    // (the husk binary) before execve (CVE-2019-5736): always
                                    // for exec; for init unless it has a user namespace

    // --- fds (all CLOEXEC in the parent; the child clears CLOEXEC only for stdio/preserved)
    int sync_fd;                    // child end of the SEQPACKET socketpair
    int state_dir_fd;               // O_PATH dir holding the start fifo, -1 for none (exec)
    const char *fifo_name;          // "exec.fifo"; NULL: wait for a word on sync_fd instead
    int console_fd;                 // connected console socket, -1 for none
    int preserve_fds;               // keep fds 3 .. 3+n-1 open across execve
    int ns_server_fd;               // listening ns.sock of a rootless container, -1 for none
    int wait_go_for_hooks;          // pause after mounts: the parent runs prestart/createRuntime
                                    // hooks and sends the state JSON for the in-container hooks

    // --- rootfs
    const char *rootfs;             // absolute host path; NULL: do not touch mounts (exec)
    int readonly_root;
    unsigned long rootfs_propagation; // 0: default (MS_SLAVE|MS_REC before, nothing after)
    int no_pivot;
    int chroot_only;                // no mount namespace: chroot, never mount in the host's
    const struct husk_mount *mounts;
    int n_mounts;
    int default_devices;            // create null, zero, … and /dev symlinks
    const struct husk_device *devices;
    int n_devices;
    int devices_by_bind;            // in a user namespace mknod is denied: bind the host's nodes
    const char *const *masked_paths;
    int n_masked;
    const char *const *readonly_paths;
    int n_readonly;
    const struct husk_sysctl *sysctls;
    int n_sysctls;
    const char *hostname;           // NULL: leave
    const char *domainname;
    int loopback_up;                // a new network namespace: bring `lo` up (annotation org.husk.loopback=up)

    // --- hooks run inside the container's namespaces
    const struct husk_hook *create_container_hooks;
    int n_create_container_hooks;
    const struct husk_hook *start_container_hooks;
    int n_start_container_hooks;

    // --- process
    char *const *argv;
    char *const *envp;
    const char *path_env;           // PATH used to find argv[0]; NULL: default
    const char *cwd;
    int terminal;
    unsigned short console_width, console_height;
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    int n_groups;
    int set_groups;                 // call setgroups (not allowed in some user namespaces)
    int umask;                      // -1: leave
    const struct husk_rlimit *rlimits;
    int n_rlimits;
    int no_new_privs;
    int has_oom_score_adj;
    int oom_score_adj;
    int set_caps;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    int has_ioprio;
    int ioprio;                     // already IOPRIO_PRIO_VALUE(class, level)
    int has_scheduler;
    int sched_policy;
    int sched_priority;
    int sched_nice;
    uint64_t sched_flags, sched_runtime, sched_deadline, sched_period;
    int has_personality;
    unsigned long personality;
    const void *seccomp_filter;     // struct sock_filter[], exported in the parent; NULL: none
    unsigned short seccomp_len;
    unsigned int seccomp_flags;
    int seccomp_notify;             // SCMP_ACT_NOTIFY rules: load with NEW_LISTENER, send the fd up
    int seccomp_before_start;       // no_new_privs and load right after "ready" (LaunchPlan.seccompBeforeStart)
};

#endif
