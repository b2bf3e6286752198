#define _GNU_SOURCE
#include "cimages.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

int cimg_open_in_root(int dirfd, const char *path, int flags, mode_t mode) {
    struct open_how how = {0};
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd;
    do { fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how); } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    return fd < 0 ? -errno : (int)fd;
}

int cimg_o_path(void) { return O_PATH; }
int cimg_o_nofollow(void) { return O_NOFOLLOW; }
int cimg_o_directory(void) { return O_DIRECTORY; }
int cimg_at_symlink_nofollow(void) { return AT_SYMLINK_NOFOLLOW; }
int cimg_at_removedir(void) { return AT_REMOVEDIR; }
int cimg_at_empty_path(void) { return AT_EMPTY_PATH; }

int cimg_mknodat(int dirfd, const char *name, mode_t mode, unsigned major, unsigned minor) {
    return mknodat(dirfd, name, mode, makedev(major, minor)) < 0 ? -errno : 0;
}

int cimg_lsetxattr_at(int dirfd, const char *name, const char *key, const void *value, size_t len) {
    int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int r = setxattr(proc, key, value, len, 0);  // the magic link names exactly the opened object
    int saved = errno;
    close(fd);
    return r < 0 ? -saved : 0;
}

int cimg_set_mtime(int dirfd, const char *name, int64_t sec, long nsec) {
    struct timespec ts[2] = {{.tv_sec = sec, .tv_nsec = nsec}, {.tv_sec = sec, .tv_nsec = nsec}};
    return utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int cimg_open_contained(int dirfd, const char *path, int flags) {
    struct open_how how = {0};
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd;
    do { fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how); } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    return fd < 0 ? -errno : (int)fd;
}
