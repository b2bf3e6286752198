// Reporting and string helpers for the child. Async-signal-safe only (see child.h).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

size_t hk_strlen(const char *s) {
    size_t n = 0;
    while (s && s[n]) n++;
    return n;
}

int hk_streq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

size_t hk_append(char *dst, size_t cap, const char *src) {
    size_t n = hk_strlen(dst);
    while (src && *src && n + 1 < cap) dst[n++] = *src++;
    if (cap) dst[n < cap ? n : cap - 1] = 0;
    return n;
}

size_t hk_append_u64(char *dst, size_t cap, uint64_t v) {
    char digits[24];
    int i = (int)sizeof(digits) - 1;
    digits[i] = 0;
    do { digits[--i] = (char)('0' + v % 10); v /= 10; } while (v && i > 0);
    return hk_append(dst, cap, digits + i);
}

size_t hk_append_i64(char *dst, size_t cap, int64_t v) {
    if (v < 0) {
        hk_append(dst, cap, "-");
        return hk_append_u64(dst, cap, (uint64_t)(-(v + 1)) + 1);
    }
    return hk_append_u64(dst, cap, (uint64_t)v);
}

int hk_write_file(const char *path, const char *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t w;
    do { w = write(fd, data, len); } while (w < 0 && errno == EINTR);
    int saved = errno;
    close(fd);
    errno = saved;
    return w == (ssize_t)len ? 0 : -1;
}

static void copy_field(char *dst, size_t cap, const char *src) {
    dst[0] = 0;
    hk_append(dst, cap, src);
}

void child_send(int fd, int kind, int err, const char *stage, const char *detail) {
    struct husk_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.err = err;
    copy_field(m.stage, sizeof(m.stage), stage);
    copy_field(m.detail, sizeof(m.detail), detail);
    ssize_t r;
    // MSG_NOSIGNAL: after `create` returned nobody listens; that must not kill us.
    do { r = send(fd, &m, sizeof(m), MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
}

void child_fail(const struct husk_plan *p, const char *stage, int err, const char *detail) {
    child_send(p->sync_fd, HUSK_MSG_ERROR, err, stage, detail);
    _exit(err == ENOENT && hk_streq(stage, "exec") ? 127 : (hk_streq(stage, "exec") ? 126 : 1));
}

void child_fail2(const struct husk_plan *p, const char *stage, int err, const char *detail,
                 const char *detail2) {
    char buf[HUSK_DETAIL_MAX];
    buf[0] = 0;
    hk_append(buf, sizeof(buf), detail);
    hk_append(buf, sizeof(buf), detail2);
    child_fail(p, stage, err, buf);
}

// The hooks' stdin: the state JSON the parent sends with GO (static, not allocated).
char child_state_json[65536];
size_t child_state_json_len;

void child_wait_go(const struct husk_plan *p) {
    (void)p;
    ssize_t r;
    do { r = recv(p->sync_fd, child_state_json, sizeof(child_state_json), 0); } while (r < 0 && errno == EINTR);
    if (r < 1) _exit(1); // the parent died or gave up: nothing to report to
    if (r > 1) child_state_json_len = (size_t)r;
}

ssize_t hk_send_fds(int sock, const void *data, size_t len, const int *fds, int nfds) {
    if (nfds < 0 || nfds > 8) { errno = EINVAL; return -1; }
    char cbuf[CMSG_SPACE(sizeof(int) * 8)];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        msg.msg_control = cbuf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t r;
    do { r = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    return r;
}
