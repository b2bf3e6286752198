// The container's root filesystem: mounts resolved safely inside the rootfs, pivot_root,
// masked and read-only paths, sysctls. Async-signal-safe only (see child.h).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
struct mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

static int openat2_in_root(int rootfd, const char *rel, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd;
    do { fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how)); } while (fd < 0 && errno == EAGAIN);
    return fd;
}

// Opens `path` (absolute inside the container) under rootfd, creating missing directories
// (and a final file when `want_file`). Symlinks resolve as if rootfd were "/", so nothing
// planted in the image can send a mount outside the rootfs. Returns an O_PATH fd.
static int open_in_root(const struct husk_plan *p, int rootfd, const char *path, int want_file, int depth);

int child_open_in_root(const struct husk_plan *p, int rootfd, const char *path, int want_file) {
    return open_in_root(p, rootfd, path, want_file, 0);
}

// A symlink whose target does not exist yet (/run -> /var/run in many images): create the
// target inside the rootfs, as runc does, instead of failing.
static void create_symlink_target(const struct husk_plan *p, int rootfd, int parent, const char *name,
                                  const char *dir, size_t dirlen, int want_file, int depth) {
    char target[4096], full[4096];
    ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
    if (n < 0 || depth > 8) child_fail2(p, "resolve mount destination", ELOOP, dir, " (symlink loop or not a directory)");
    target[n] = 0;
    full[0] = 0;
    if (target[0] != '/') {
        if (dirlen >= sizeof(full)) child_fail(p, "resolve mount destination", ENAMETOOLONG, dir);
        memcpy(full, dir, dirlen);
        full[dirlen] = 0;
        hk_append(full, sizeof(full), "/");
    }
    hk_append(full, sizeof(full), target);
    int fd = open_in_root(p, rootfd, full, want_file, depth + 1);
    if (fd < 0) child_fail(p, "create symlink target in rootfs", errno, full);
    close(fd);
}

static int open_in_root(const struct husk_plan *p, int rootfd, const char *path, int want_file, int depth) {
    while (*path == '/') path++;
    if (!*path) return openat2_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
    int fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT) return fd;

    char prefix[4096];
    size_t n = 0, len = hk_strlen(path);
    if (len >= sizeof(prefix)) { errno = ENAMETOOLONG; return -1; }

    // Mostly only the last component is missing (a mount point in a fresh tmpfs): make it in
    // its parent, resolved the same safe way. Anything else (more missing, a dangling
    // symlink in the way) takes the walk below.
    size_t cut = len;
    while (cut > 0 && path[cut - 1] != '/') cut--;
    if (cut > 1 && cut < len) {
        memcpy(prefix, path, cut - 1);
        prefix[cut - 1] = 0;
        int dir = openat2_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (dir >= 0) {
            int r;
            if (want_file) {
                r = openat(dir, path + cut, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (r >= 0) close(r);
            } else {
                r = mkdirat(dir, path + cut, 0755);
            }
            close(dir);
            if (r >= 0) return openat2_in_root(rootfd, path, O_PATH);
        }
    }
    int parent = openat2_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
    if (parent < 0) return -1;
    while (n < len) {
        size_t start = n;
        while (n < len && path[n] != '/') n++;
        memcpy(prefix, path, n);
        prefix[n] = 0;
        const char *name = prefix + start;
        int last = (n >= len) || path[n + 1] == 0;
        int next = openat2_in_root(rootfd, prefix, O_PATH);
        if (next < 0 && errno == ENOENT && *name) {
            int r;
            if (last && want_file) {
                r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (r >= 0) close(r);
            } else {
                r = mkdirat(parent, name, 0755);
            }
            if (r < 0 && errno == EEXIST) {
                create_symlink_target(p, rootfd, parent, name, prefix, start, last && want_file, depth);
                r = 0;
            }
            if (r < 0) { int e = errno; close(parent); errno = e; return -1; }
            next = openat2_in_root(rootfd, prefix, O_PATH);
        }
        if (next < 0) { int e = errno; close(parent); errno = e; return -1; }
        close(parent);
        parent = next;
        while (n < len && path[n] == '/') n++;
    }
    return parent;
}

// The real host path of an fd (inside the rootfs); nothing in the container runs yet,
// so the path stays valid for the mount calls that follow.
void child_fd_path(const struct husk_plan *p, int fd, char *out, size_t cap, const char *dest) {
    char link[64] = "/proc/self/fd/";
    hk_append_u64(link, sizeof(link), (uint64_t)fd);
    ssize_t n = readlink(link, out, cap - 1);
    if (n < 0) child_fail(p, "readlink mount destination", errno, dest);
    out[n] = 0;
}

// Remount keeping the flags the kernel locked (a bind mount in a user namespace cannot
// drop nosuid/nodev/noexec that the source has).
static int remount_with_locked(const char *target, unsigned long flags) {
    if (mount(NULL, target, NULL, flags, NULL) == 0) return 0;
    if (errno != EPERM) return -1;
    struct statvfs sv;
    if (statvfs(target, &sv) < 0) return -1;
    unsigned long locked = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_NOATIME |
                                        MS_NODIRATIME | MS_RELATIME);
    return mount(NULL, target, NULL, flags | locked, NULL);
}

static void do_mount(const struct husk_plan *p, int rootfd, const struct husk_mount *m) {
    int want_file = 0;
    if (m->bind) {
        struct stat st;
        if (stat(m->source, &st) < 0) child_fail2(p, "stat bind mount source", errno, m->source, "");
        want_file = !S_ISDIR(st.st_mode);
    }
    int fd = child_open_in_root(p, rootfd, m->destination, want_file);
    if (fd < 0) child_fail2(p, "create mount destination", errno, m->destination, "");
    char target[4096];
    child_fd_path(p, fd, target, sizeof(target), m->destination);

    char detail[HUSK_DETAIL_MAX] = "";
    hk_append(detail, sizeof(detail), m->fstype ? m->fstype : "bind");
    hk_append(detail, sizeof(detail), " ");
    hk_append(detail, sizeof(detail), m->source ? m->source : "none");
    hk_append(detail, sizeof(detail), " on ");
    hk_append(detail, sizeof(detail), m->destination);

    if (m->idmap_fd >= 0) {
        // The parent made the id-mapped copy; it goes onto the destination we resolved.
        if (syscall(SYS_move_mount, m->idmap_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            child_fail(p, "move id-mapped mount", errno, detail);
        close(m->idmap_fd);
    }
    close(fd);
    if (m->idmap_fd >= 0) {
        unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (extra && remount_with_locked(target, MS_BIND | MS_REMOUNT | extra) < 0)
            child_fail(p, "remount", errno, detail);
    } else if (m->bind) {
        if (mount(m->source, target, NULL, m->flags & (MS_BIND | MS_REC), NULL) < 0)
            child_fail(p, "mount", errno, detail);
        unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (extra && remount_with_locked(target, MS_BIND | MS_REMOUNT | extra) < 0)
            child_fail(p, "remount", errno, detail);
    } else {
        if (mount(m->source, target, m->fstype, m->flags, m->data) < 0)
            child_fail(p, "mount", errno, detail);
    }
    for (int i = 0; i < 4 && m->propagation[i]; i++)
        if (mount(NULL, target, NULL, m->propagation[i], NULL) < 0)
            child_fail(p, "set mount propagation", errno, detail);
    if (m->attr_set || m->attr_clr) {
        struct mount_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.attr_set = m->attr_set;
        attr.attr_clr = m->attr_clr;
        if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
            child_fail(p, "mount_setattr", errno, detail);
    }
}

void child_prepare_rootfs(const struct husk_plan *p) {
    // Nothing we mount may leak to the host: make our copy of the tree slave (or what the
    // config asks for, when it is stricter).
    unsigned long prop = MS_REC | MS_SLAVE;
    if (p->rootfs_propagation & (MS_PRIVATE | MS_UNBINDABLE)) prop = MS_REC | MS_PRIVATE;
    if (mount(NULL, "/", NULL, prop, NULL) < 0) child_fail(p, "make / slave", errno, "/");
    if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        child_fail(p, "bind rootfs onto itself", errno, p->rootfs);
    int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) child_fail(p, "open rootfs", errno, p->rootfs);
    for (int i = 0; i < p->n_mounts; i++) do_mount(p, rootfd, &p->mounts[i]);
    child_make_devices(p, rootfd);
    close(rootfd);
}

static void make_parent_private(const struct husk_plan *p) {
    // pivot_root refuses a new root whose parent mount is shared.
    char path[4096] = "";
    hk_append(path, sizeof(path), p->rootfs);
    for (;;) {
        if (mount(NULL, path, NULL, MS_PRIVATE, NULL) == 0) return;
        if (errno != EINVAL) child_fail(p, "make rootfs parent private", errno, path);
        size_t n = hk_strlen(path);
        while (n > 1 && path[n - 1] != '/') n--;
        if (n <= 1) { path[0] = '/'; path[1] = 0; if (mount(NULL, "/", NULL, MS_PRIVATE, NULL) == 0) return; child_fail(p, "make rootfs parent private", errno, "/"); }
        path[n - 1] = 0;
    }
}

void child_enter_rootfs(const struct husk_plan *p) {
    if (p->no_pivot) {
        if (chdir(p->rootfs) < 0) child_fail(p, "chdir rootfs", errno, p->rootfs);
        if (mount(p->rootfs, "/", NULL, MS_MOVE, NULL) < 0) child_fail(p, "move rootfs to /", errno, p->rootfs);
        if (chroot(".") < 0) child_fail(p, "chroot", errno, p->rootfs);
        if (chdir("/") < 0) child_fail(p, "chdir /", errno, "/");
    } else {
        make_parent_private(p);
        int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        int newroot = open(p->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (oldroot < 0 || newroot < 0) child_fail(p, "open rootfs", errno, p->rootfs);
        if (fchdir(newroot) < 0) child_fail(p, "chdir rootfs", errno, p->rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(p, "pivot_root", errno, p->rootfs);
        if (fchdir(oldroot) < 0) child_fail(p, "chdir old root", errno, "/");
        // The old root is stacked under "."; detach it without touching the host's mounts.
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) child_fail(p, "make old root slave", errno, "/");
        if (umount2(".", MNT_DETACH) < 0) child_fail(p, "unmount old root", errno, "/");
        if (chdir("/") < 0) child_fail(p, "chdir /", errno, "/");
        close(oldroot);
        close(newroot);
    }
    if (p->rootfs_propagation && mount(NULL, "/", NULL, p->rootfs_propagation, NULL) < 0)
        child_fail(p, "set rootfs propagation", errno, "/");
}

static void mask_path(const struct husk_plan *p, const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT) return;
        child_fail(p, "stat masked path", errno, path);
    }
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k")
                                : mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (r < 0) child_fail(p, "mask path", errno, path);
}

static void readonly_path(const struct husk_plan *p, const char *path) {
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT) return;
        child_fail(p, "bind read-only path", errno, path);
    }
    if (remount_with_locked(path, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC) < 0)
        child_fail(p, "remount read-only path", errno, path);
}

void child_finish_rootfs(const struct husk_plan *p) {
    // sysctls first: the default readonlyPaths include /proc/sys.
    for (int i = 0; i < p->n_sysctls; i++) {
        const struct husk_sysctl *s = &p->sysctls[i];
        if (hk_write_file(s->path, s->value, hk_strlen(s->value)) < 0)
            child_fail(p, "write sysctl", errno, s->path);
    }
    for (int i = 0; i < p->n_readonly; i++) readonly_path(p, p->readonly_paths[i]);
    for (int i = 0; i < p->n_masked; i++) mask_path(p, p->masked_paths[i]);
    if (p->readonly_root && remount_with_locked("/", MS_BIND | MS_REMOUNT | MS_RDONLY) < 0)
        child_fail(p, "remount root read-only", errno, "/");
}
