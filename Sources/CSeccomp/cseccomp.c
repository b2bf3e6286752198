#define _GNU_SOURCE
#include "cseccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int cseccomp_export(scmp_filter_ctx ctx, void **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    int fd = memfd_create("husk-seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    size_t size = (size_t)st.st_size;
    unsigned char *out = malloc(size ? size : 1);
    if (!out) {
        close(fd);
        return -ENOMEM;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, out + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            free(out);
            close(fd);
            return rc;
        }
        done += (size_t)n;
    }
    close(fd);
    *buf = out;
    *len = size;
    return 0;
}

void cseccomp_free(void *buf) { free(buf); }

// Child side: only syscalls, then _exit.
static void apply_or_exit(const void *filter, size_t len, unsigned int flags) {
    struct sock_fprog prog = {
        .len = (unsigned short)(len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *)filter,
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(255);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog) < 0) _exit(255);
}

static int wait_child(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 256 + WTERMSIG(status);
    return -ECHILD;
}

int cseccomp_test_apply_and_call_getpid(const void *filter, size_t len) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        apply_or_exit(filter, len, 0);
        struct utsname u;
        long rc = syscall(SYS_uname, &u);
        _exit(rc < 0 ? (errno & 0xff) : 0);
    }
    return wait_child(pid);
}

int cseccomp_test_apply_and_syscall(const void *filter, size_t len, unsigned int flags, long nr,
                                    long a0, long a1, long a2, long a3, long a4, long a5) {
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        apply_or_exit(filter, len, flags);
        long rc = syscall(nr, a0, a1, a2, a3, a4, a5);
        _exit(rc < 0 ? (errno & 0xff) : 0);
    }
    return wait_child(pid);
}
