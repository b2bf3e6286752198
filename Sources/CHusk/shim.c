// Syscall wrappers for Swift: calls glibc lacks or Swift's Glibc import does not show.
#define _GNU_SOURCE
#include "husk.h"
#include "child.h"  // hk_send_fds
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int husk_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int husk_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int husk_setns(int fd, int nstype) { return setns(fd, nstype); }

int husk_socketpair_seqpacket(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int husk_open_path_dir(const char *path) { return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); }

int husk_open_fifo_nonblock(const char *path) { return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); }

int husk_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int husk_is_fd_valid(int fd) { return fcntl(fd, F_GETFD) >= 0; }

ssize_t husk_recv_msg(int fd, struct husk_msg *m, int timeout_ms) {
    return husk_recv_msg_fd(fd, m, timeout_ms, NULL);
}

ssize_t husk_recv_msg_fd(int fd, struct husk_msg *m, int timeout_ms, int *passed_fd) {
    memset(m, 0, sizeof(*m));
    if (passed_fd) *passed_fd = -1;
    if (timeout_ms >= 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r;
        do { r = poll(&p, 1, timeout_ms); } while (r < 0 && errno == EINTR);
        if (r < 0) return -errno;
        if (r == 0) return -ETIMEDOUT;
    }
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t n;
    do { n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
        int got;
        memcpy(&got, CMSG_DATA(c), sizeof(int));
        if (passed_fd) *passed_fd = got;
        else close(got);
    }
    return n;
}

int husk_send_fd_to_path(const char *path, int fd, const void *payload, size_t len, const char **stage) {
    *stage = "connect";
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) return -ENAMETOOLONG;
    memcpy(addr.sun_path, path, strlen(path));
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -errno;
    int r;
    do { r = connect(sock, (struct sockaddr *)&addr, sizeof(addr)); } while (r < 0 && errno == EINTR);
    if (r < 0) { int e = errno; close(sock); return -e; }
    *stage = "send";
    ssize_t n = hk_send_fds(sock, payload, len, &fd, 1);
    size_t done = n > 0 ? (size_t)n : 0;
    // The fd went with the first call; the rest of a long state goes as plain data.
    while (n >= 0 && done < len) {
        n = send(sock, (const char *)payload + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) { n = 0; continue; }
        if (n > 0) done += (size_t)n;
    }
    int e = n < 0 ? errno : 0;
    close(sock);
    return -e;
}

int husk_send_fd(int sock, int fd) {
    char byte = 0;
    return hk_send_fds(sock, &byte, 1, &fd, 1) < 0 ? -errno : 0;
}

int husk_recv_fd(int sock) {
    char buf[256], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -errno;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

long husk_statfs_type(const char *path) {
    struct statfs s;
    if (statfs(path, &s) < 0) return -errno;
    return (long)s.f_type;
}

int husk_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }


// Opens `path` for reading as if `root` were "/": symlinks in the container's image cannot
// lead the host-side reader out of the rootfs (e.g. /etc/passwd -> /host/secret).
int husk_open_in_root(const char *root, const char *path) {
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -errno;
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = O_RDONLY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    int saved = errno;
    close(rootfd);
    return fd < 0 ? -saved : fd;
}

static int unix_addr_at(struct sockaddr_un *addr, int dirfd, const char *name) {
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    int n = snprintf(addr->sun_path, sizeof(addr->sun_path), "/proc/self/fd/%d/%s", dirfd, name);
    return n < 0 || (size_t)n >= sizeof(addr->sun_path) ? -ENAMETOOLONG : 0;
}

int husk_listen_unix_at(int dirfd, const char *name) {
    struct sockaddr_un addr;
    int r = unix_addr_at(&addr, dirfd, name);
    if (r < 0) return r;
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -errno;
    if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sock, 8) < 0) {
        int e = errno;
        close(sock);
        return -e;
    }
    return sock;
}

int husk_fetch_ns_fds(int dirfd, const char *name, int *fds, int32_t *types, int max) {
    struct sockaddr_un addr;
    int r = unix_addr_at(&addr, dirfd, name);
    if (r < 0) return r;
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return -errno;
    do { r = connect(sock, (struct sockaddr *)&addr, sizeof(addr)); } while (r < 0 && errno == EINTR);
    if (r < 0) { int e = errno; close(sock); return -e; }
    char cbuf[CMSG_SPACE(sizeof(int) * HUSK_NS_SERVER_MAX)];
    struct iovec iov = {.iov_base = types, .iov_len = sizeof(int32_t) * (size_t)max};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL); } while (n < 0 && errno == EINTR);
    int e = errno;
    close(sock);
    if (n < 0) return -e;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    if (count > max || (size_t)n != sizeof(int32_t) * (size_t)count) return -EBADMSG;
    memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)count);
    return count;
}

int husk_x32_syscalls(void) {
#if defined(__x86_64__)
    // An x32 getpid: the kernel answers it only when built with CONFIG_X86_X32_ABI.
    return syscall(0x40000000 | SYS_getpid) == getpid();
#else
    return 0;
#endif
}
