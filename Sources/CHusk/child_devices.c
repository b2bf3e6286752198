// /dev inside the container: the default device nodes, linux.devices, and the standard
// symlinks. In a user namespace mknod is denied, so the host's nodes are bind-mounted.
// Async-signal-safe only (see child.h).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct husk_device default_devices[] = {
    {"/dev/null", S_IFCHR | 0666, 1, 3, 0, 0},
    {"/dev/zero", S_IFCHR | 0666, 1, 5, 0, 0},
    {"/dev/full", S_IFCHR | 0666, 1, 7, 0, 0},
    {"/dev/random", S_IFCHR | 0666, 1, 8, 0, 0},
    {"/dev/urandom", S_IFCHR | 0666, 1, 9, 0, 0},
    {"/dev/tty", S_IFCHR | 0666, 5, 0, 0, 0},
};

static const char *const default_links[][2] = {
    {"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

// Splits "/dev/x/y" into an fd for "/dev/x" (created if missing) and the name "y".
static int open_parent(const struct husk_plan *p, int rootfd, const char *path, char *name, size_t cap) {
    char dir[4096] = "";
    hk_append(dir, sizeof(dir), path);
    size_t n = hk_strlen(dir);
    while (n > 0 && dir[n - 1] != '/') n--;
    name[0] = 0;
    hk_append(name, cap, dir + n);
    dir[n > 1 ? n - 1 : 1] = 0;
    int fd = child_open_in_root(p, rootfd, dir, 0);
    if (fd < 0) child_fail(p, "create device directory", errno, dir);
    int dfd = openat(fd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0) child_fail(p, "open device directory", errno, dir);
    close(fd);
    return dfd;
}

static void make_device(const struct husk_plan *p, int rootfd, const struct husk_device *d) {
    char name[256];
    int dir = open_parent(p, rootfd, d->path, name, sizeof(name));
    unlinkat(dir, name, 0); // the image or the /dev tmpfs may already have one
    if (p->devices_by_bind && !S_ISFIFO(d->mode)) {
        int f = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f < 0) child_fail(p, "create device bind target", errno, d->path);
        char target[4096];
        child_fd_path(p, f, target, sizeof(target), d->path);
        close(f);
        if (mount(d->path, target, NULL, MS_BIND, NULL) < 0) child_fail(p, "bind device", errno, d->path);
    } else {
        if (mknodat(dir, name, d->mode, makedev(d->major, d->minor)) < 0)
            child_fail(p, "mknod", errno, d->path);
        if (fchmodat(dir, name, d->mode & 07777, 0) < 0) child_fail(p, "chmod device", errno, d->path);
        if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
            child_fail(p, "chown device", errno, d->path);
    }
    close(dir);
}

static void make_link(const struct husk_plan *p, int rootfd, const char *target, const char *path) {
    char name[256];
    int dir = open_parent(p, rootfd, path, name, sizeof(name));
    if (symlinkat(target, dir, name) < 0 && errno != EEXIST) child_fail(p, "symlink", errno, path);
    close(dir);
}

void child_make_devices(const struct husk_plan *p, int rootfd) {
    if (p->default_devices) {
        for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
            int overridden = 0;
            for (int j = 0; j < p->n_devices; j++)
                overridden |= hk_streq(p->devices[j].path, default_devices[i].path);
            if (!overridden) make_device(p, rootfd, &default_devices[i]);
        }
        for (size_t i = 0; i < sizeof(default_links) / sizeof(default_links[0]); i++)
            make_link(p, rootfd, default_links[i][0], default_links[i][1]);
    }
    for (int i = 0; i < p->n_devices; i++) make_device(p, rootfd, &p->devices[i]);
}
