// The sandbox watcher (see husk_watch.h). It shares husk's memory (CLONE_VM) instead of
// copying it: no page tables to copy at the clone, and none of husk's later writes takes a
// copy-on-write fault (a fork cost ~0.3 ms plus ~0.3 ms of such faults per sandbox). So it
// must not touch what husk changes: it runs on its own stack in a region of its own, where
// its arguments are copied, and makes its system calls directly, never through libc, whose
// errno and other thread state it would share with husk's main thread.
#define _GNU_SOURCE
#include "husk_watch.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
static long raw6(long n, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static long raw6(long n, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#else
#error "husk's sandbox watcher needs raw system calls for this architecture"
#endif

#define RAW(n, a, b, c) raw6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

// The kernel's struct sigaction (no restorer needed: only SIG_DFL and SIG_IGN are set).
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

// What the watcher reads, all inside its region.
struct watch_args {
    int pidfd;
    const char *dir;
    const char *path;
    char **argv;
    char **envp;
};

static int watch(void *raw) {
    const struct watch_args *w = raw;
    RAW(SYS_setsid, 0, 0, 0);
    long null = raw6(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDWR, 0, 0, 0);
    if (null >= 0) {
        for (long fd = 0; fd <= 2; fd++)
            if (fd != null) RAW(SYS_dup3, null, fd, 0);
        if (null > 2 && null != w->pidfd) RAW(SYS_close, null, 0, 0);
    }
    if (w->pidfd > 3) RAW(SYS_close_range, 3, w->pidfd - 1, 0);
    RAW(SYS_close_range, (w->pidfd >= 3 ? w->pidfd : 2) + 1, ~0U, 0);
    struct kernel_sigaction dfl, ign;
    memset(&dfl, 0, sizeof(dfl));
    memset(&ign, 0, sizeof(ign));
    dfl.handler = SIG_DFL;
    ign.handler = SIG_IGN;
    for (int s = 1; s < _NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        int ignored = s == SIGINT || s == SIGHUP || s == SIGQUIT || s == SIGPIPE;
        raw6(SYS_rt_sigaction, s, (long)(ignored ? &ign : &dfl), 0, _NSIG / 8, 0, 0);
    }
    unsigned long none = 0;
    raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, _NSIG / 8, 0, 0);

    struct pollfd p = {.fd = w->pidfd, .events = POLLIN};
    while (raw6(SYS_ppoll, (long)&p, 1, 0, 0, _NSIG / 8, 0) == -EINTR) {}
    if (raw6(SYS_faccessat, AT_FDCWD, (long)w->dir, F_OK, 0, 0, 0) != 0) RAW(SYS_exit, 0, 0, 0);
    RAW(SYS_close, w->pidfd, 0, 0);
    RAW(SYS_execve, w->path, w->argv, w->envp);
    RAW(SYS_exit, 127, 0, 0);
    return 0;
}

// Bump allocation inside the region; NULL when it is full.
static void *take(char **next, char *end, size_t n) {
    size_t pad = (size_t)(-(uintptr_t)*next & (sizeof(void *) - 1));
    if ((size_t)(end - *next) < pad + n) return NULL;
    void *out = *next + pad;
    *next += pad + n;
    return out;
}

static char *copy_string(char **next, char *end, const char *s) {
    size_t n = strlen(s) + 1;
    char *out = take(next, end, n);
    if (out) memcpy(out, s, n);
    return out;
}

static char **copy_vector(char **next, char *end, char *const v[]) {
    size_t n = 0;
    while (v[n]) n++;
    char **out = take(next, end, (n + 1) * sizeof(char *));
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = copy_string(next, end, v[i]))) return NULL;
    out[n] = NULL;
    return out;
}

#define WATCH_STACK (64 * 1024)

pid_t husk_fork_watcher(int pidfd, const char *dir, const char *path, char *const argv[], char *const envp[],
                        struct husk_watcher_region *region) {
    size_t need = sizeof(struct watch_args) + strlen(dir) + strlen(path) + 2 + 64;
    for (size_t i = 0; argv[i]; i++) need += strlen(argv[i]) + 1 + 2 * sizeof(char *);
    for (size_t i = 0; envp[i]; i++) need += strlen(envp[i]) + 1 + 2 * sizeof(char *);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = (WATCH_STACK + need + page - 1) / page * page;
    char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return -errno;
    // Arguments above the stack, which grows down from WATCH_STACK.
    char *next = base + WATCH_STACK, *end = base + size;
    struct watch_args *w = take(&next, end, sizeof(*w));
    w->pidfd = pidfd;
    w->dir = copy_string(&next, end, dir);
    w->path = copy_string(&next, end, path);
    w->argv = copy_vector(&next, end, argv);
    w->envp = copy_vector(&next, end, envp);
    if (!w->dir || !w->path || !w->argv || !w->envp) {
        munmap(base, size);
        return -E2BIG;
    }
    // Every signal blocked across the clone: husk's handlers (Swift) must never run in the
    // watcher; it installs its own dispositions before unblocking.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int pid = clone(watch, base + WATCH_STACK, CLONE_VM | SIGCHLD, w);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        munmap(base, size);
        return -saved;
    }
    region->base = base;
    region->size = size;
    return pid;
}

void husk_watcher_region_free(struct husk_watcher_region *region) {
    if (region->base) munmap(region->base, region->size);
    region->base = NULL;
    region->size = 0;
}
